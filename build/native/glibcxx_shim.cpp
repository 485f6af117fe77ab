// Provides std::ios_base_library_init() for systems whose libstdc++ predates GCC 13 (GLIBCXX_3.4.32),
// such as Debian 12 and Ubuntu 22.04. TorchSharp 0.107's libLibTorchSharp.so was built with GCC 13 and
// imports that one symbol from GLIBCXX_3.4.32; everything else it needs exists in older libstdc++.
//
// GCC 13's libstdc++ defines the function as "construct the static std::ios_base::Init object that sets
// up cin/cout/cerr". Older libstdc++ does the same through the static Init object that <iostream> puts in
// every translation unit, so this shim only has to construct one, once.
//
// The build (build/PrLstm.NativeCompat.targets) compiles this file only on such systems, and the runtime
// loads it with RTLD_GLOBAL before TorchSharp loads its native library (PrLstm.Runtime NativeCompat).
#include <ios>

namespace std
{
    __attribute__((visibility("default"))) void ios_base_library_init()
    {
        static ios_base::Init init;
    }
}
