// A shared library without C_GetFunctionList, for pkcs11_signer_test.cpp: Pkcs11Signer::Open
// must refuse it and unload it again (dlclose), which the test checks with RTLD_NOLOAD.
extern "C" __attribute__((visibility("default"))) int tillit_not_a_pkcs11_module() { return 0; }
