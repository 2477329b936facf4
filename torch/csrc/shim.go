// Package csrc is the C++ shim between the Go package torch and libtorch. It has no Go API: cgo compiles
// every .cpp file in this folder, and the package torch imports it for those objects and calls them
// through the plain-C header torchshim.h.
//
// The default build is for the system libtorch (Debian 12's libtorch-dev, CPU libtorch 1.13) and needs no
// step outside `go build`: the headers under /usr/include, the C++ ABI libtorch was built with, and
// libtorch's libraries kept in DT_NEEDED. Nothing points into the source tree, so the module builds from
// Go's read-only module cache and a built binary depends on system libraries only.
//
// Optional parts switch on by what is installed, from inside the C++ (__has_include), never by a flag of
// the build:
//
//   - dnnl.cpp: the direct oneDNN linears, where oneDNN's headers are installed (Debian: libdnnl-dev).
//     The tag fewshot_nodnnl leaves them out and drops the link to libdnnl.so.2.
//
// A new .cpp file here is compiled with no edit to the build. A file whose code depends on something
// optional tests for its header first, before any libtorch header, and defines what libtorch's headers
// expect, for example for c10d over Gloo (Debian: libgloo-dev):
//
//	#if __has_include(<gloo/config.h>) && !defined(USE_C10D_GLOO)
//	#define USE_C10D_GLOO 1
//	#endif
//
// and, if it needs a library of its own, names it in a Go file here ("#cgo LDFLAGS: -l:libNAME.so.N" on
// the runtime library's name, which exists wherever libtorch links it, under a build tag that can force it
// off, as dnnl_link.go does).
//
// Other libtorch builds (CUDA, the pip wheels, the libtorch zip files) build the same sources with CMake
// into libtorchshim.so (see CMakeLists.txt); the tag fewshot_shimlib makes the package torch link that
// library instead of importing this package.
package csrc

/*
#cgo CXXFLAGS: -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 -O3 -DNDEBUG -g0 -fPIC -Wall -Wno-unused-parameter
#cgo CXXFLAGS: -isystem /usr/include/torch/csrc/api/include
#cgo LDFLAGS: -Wl,--push-state,--no-as-needed -ltorch -ltorch_cpu -lc10 -Wl,--pop-state
*/
import "C"
