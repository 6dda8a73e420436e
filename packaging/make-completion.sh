#!/bin/sh
# Writes the bash completion for occhat to stdout, read off the built binary's own --help (the
# commands, each command's flags, `room`'s subcommands), so it never falls behind the CLI.
#   packaging/make-completion.sh build/cli/occhat > occhat.bash
set -eu
occhat="$1"

# The words listed under "Subcommands:" in `occhat [CMD] --help`.
subcommands() { "$occhat" "$@" --help | awk '/^Subcommands:/ {on = 1; next} on && /^[^ ]/ {exit} on && /^  [a-z]/ {print $1}'; }
# The flags an "Options:" list of a help text defines (first word of each "  -x,--name ..." line),
# before its "Global options:" part.
flags() { "$occhat" "$@" --help | awk '/^Global options:/ {exit} /^  -/ {print $1}' | tr ',' '\n' | sort -u | tr '\n' ' '; }

commands=$(subcommands | tr '\n' ' ')
globals=$(flags)

cat <<EOF
# bash completion for occhat (generated from occhat --help by packaging/make-completion.sh)
_occhat() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local commands="$commands"
  local cmd="" sub="" i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "\$word" in
      --server|--home|--ca) ((i++)); continue ;;
      -*) continue ;;
    esac
    if [ -z "\$cmd" ]; then cmd="\$word"; elif [ "\$cmd" = room ] && [ -z "\$sub" ]; then sub="\$word"; fi
  done
  case "\$prev" in
    --home) COMPREPLY=(\$(compgen -d -- "\$cur")); return ;;
    --ca|-o|--output) COMPREPLY=(\$(compgen -f -- "\$cur")); return ;;
    --server) return ;;
  esac
  local words=""
  case "\$cmd" in
    "") if [[ "\$cur" == -* ]]; then words="$globals"; else words="\$commands"; fi ;;
    help) words="\$commands" ;;
EOF
for c in $commands; do
  [ "$c" = help ] && continue
  if [ "$c" = room ]; then
    rooms=$(subcommands room | tr '\n' ' ')
    printf '    room)\n      case "$sub" in\n        "") words="%s" ;;\n' "$rooms"
    for s in $rooms; do
      printf '        %s) words="%s" ;;\n' "$s" "$(flags room "$s")"
    done
    printf '      esac ;;\n'
    continue
  fi
  printf '    %s) words="%s" ;;\n' "$c" "$(flags "$c")"
done
cat <<EOF
  esac
  if [[ "\$cur" != -* ]]; then
    case "\$cmd" in
      upload|download) COMPREPLY=(\$(compgen -f -- "\$cur")); return ;;
    esac
    [ -n "\$cmd" ] && [ "\$cmd" != help ] && { [ "\$cmd" != room ] || [ -n "\$sub" ]; } && return
  fi
  COMPREPLY=(\$(compgen -W "\$words" -- "\$cur"))
}
complete -F _occhat occhat
EOF
