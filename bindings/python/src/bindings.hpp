#pragma once
// The pieces of the `_occhat` extension, one registration function per file.

#include <pybind11/pybind11.h>

namespace occhat::python {

void register_errors(pybind11::module_& m);
void register_types(pybind11::module_& m);
void register_client(pybind11::module_& m);
void register_event_pipe(pybind11::module_& m);

}  // namespace occhat::python
