// occhat::Error -> occhat.Error subclasses. The exception classes live in occhat/_errors.py
// (ConnectionError must also derive from builtins.ConnectionError, which is awkward to express
// with py::exception); the translator asks that module to build the right instance.

#include <string>

#include "bindings.hpp"
#include "occhat/error.hpp"

namespace py = pybind11;

namespace occhat::python {

void register_errors(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const occhat::Error& e) {
      // Translators run with the GIL held.
      py::object make = py::module_::import("occhat._errors").attr("_from_sdk");
      py::object error = make(std::string(error_code_name(e.code())), e.what(),
                              static_cast<long long>(e.retry_after().count()));
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
    }
  });
  m.def("error_code_name", [](int code) {
    return std::string(error_code_name(static_cast<ErrorCode>(code)));
  });
}

}  // namespace occhat::python
