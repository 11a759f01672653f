// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// proxy_newdelete.cc -- a C++ program whose new and delete go through
// malloc and free (umf/proxy_lib_new_delete.h); tests/check_proxy.sh runs it
// with and without libumf_proxy. Under the proxy (PROXY_EXPECT_POOL=1) every
// object must be in the proxy's pool.
#include <umf/proxy_lib_new_delete.h>

#include <umf/memory_pool.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

static unsigned failures;

static void expect(bool cond, const char *what) {
    if (!cond) {
        std::fprintf(stderr, "check failed: %s\n", what);
        failures++;
    }
}

struct alignas(256) Wide {
    unsigned char bytes[256];
};

int main() {
    const char *e = std::getenv("PROXY_EXPECT_POOL");
    bool in_pool = e && std::strcmp(e, "1") == 0;

    std::map<std::string, std::vector<int>> m;
    for (int i = 0; i < 20000; i++) {
        m["key" + std::to_string(i % 1000)].push_back(i);
    }
    long sum = 0;
    for (auto &kv : m) {
        for (int v : kv.second) {
            sum += v;
        }
    }
    int *one = new int(7);
    int *arr = new int[1000]();
    Wide *w = new Wide();
    Wide *wa = new Wide[3];
    int *nt = new (std::nothrow) int[10];
    expect(reinterpret_cast<std::uintptr_t>(w) % 256 == 0, "aligned new");
    expect(reinterpret_cast<std::uintptr_t>(wa) % 256 == 0, "aligned new[]");
    expect(arr[999] == 0, "value-initialised new[]");
    if (in_pool) {
        expect(umfPoolByPtr(one) != nullptr, "new int in the pool");
        expect(umfPoolByPtr(arr) != nullptr, "new int[] in the pool");
        expect(umfPoolByPtr(w) != nullptr, "aligned new in the pool");
        expect(umfPoolByPtr(nt) != nullptr, "nothrow new in the pool");
    }
    bool threw = false;
    try {
        std::size_t huge = SIZE_MAX / 4;
        char *never = new char[huge];
        delete[] never;
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    expect(threw, "bad_alloc on a huge new[]");
    delete one;
    delete[] arr;
    delete w;
    delete[] wa;
    delete[] nt;
    auto sp = std::make_shared<std::string>(1000, 'x');
    std::printf("newdelete: %zu keys, sum %ld, %zu chars, %u failures\n",
                m.size(), sum, sp->size(), failures);
    return failures ? 1 : 0;
}
