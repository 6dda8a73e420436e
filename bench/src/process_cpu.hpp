#pragma once
// CPU time a process has used (user + system), from /proc/<pid>/stat: the server's cost per
// message, a figure that stays comparable on a shared machine where wall-clock rates move.

#include <sys/types.h>

#include <optional>

namespace occhat::bench {

// Seconds of CPU (utime + stime) process `pid` has used so far; nullopt if it cannot be read.
std::optional<double> process_cpu_seconds(pid_t pid);

// Seconds the threads of process `pid` have spent runnable but waiting for a CPU (the run
// queue; /proc/<pid>/task/*/schedstat), summed over its threads; nullopt if it cannot be read
// (a kernel without schedstats). On a shared machine this is where a latency tail comes from
// when the server is not the one using the CPU.
std::optional<double> process_run_delay_seconds(pid_t pid);

}  // namespace occhat::bench
