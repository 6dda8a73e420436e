#include "app.hpp"

int main(int argc, char** argv) { return occhat::cli::run(argc, argv); }
