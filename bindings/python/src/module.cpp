// Entry point of the `_occhat` extension. The public API is the pure-Python package `occhat`,
// which re-exports these classes; nothing here keeps Python state besides the class objects.

#include "bindings.hpp"

PYBIND11_MODULE(_occhat, m) {
  m.doc() = "Low-level bindings of the occhat C++ SDK (use the `occhat` package instead).";
  occhat::python::register_errors(m);
  occhat::python::register_types(m);
  occhat::python::register_client(m);
  occhat::python::register_event_pipe(m);
}
