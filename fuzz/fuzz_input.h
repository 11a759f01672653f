/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_input.h -- reading a fuzzer's input as a stream of choices.
 *
 * Every read is defined whatever is left: past the end, numbers read as 0
 * and strings as empty, so a short input is a short run, never an error. */
#ifndef UMF_FUZZ_INPUT_H
#define UMF_FUZZ_INPUT_H 1

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct fuzz_input_t {
    const uint8_t *data;
    size_t size, pos;
} fuzz_input_t;

static inline void fuzz_input_init(fuzz_input_t *in, const uint8_t *data,
                                   size_t size) {
    in->data = data;
    in->size = size;
    in->pos = 0;
}

static inline size_t fuzz_left(const fuzz_input_t *in) {
    return in->size - in->pos;
}

static inline uint8_t fuzz_u8(fuzz_input_t *in) {
    return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline uint64_t fuzz_uint(fuzz_input_t *in, unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)fuzz_u8(in) << (8 * i);
    }
    return v;
}

static inline uint32_t fuzz_u32(fuzz_input_t *in) {
    return (uint32_t)fuzz_uint(in, 4);
}

static inline uint64_t fuzz_u64(fuzz_input_t *in) { return fuzz_uint(in, 8); }

/* A size whose magnitude the input picks first, so that small, page-sized,
 * large and absurd sizes are all a mutation away: class 0 is 0..255, class
 * k in 1..5 is below 2^(4k+8), class 6 is near SIZE_MAX, class 7 any value. */
static inline size_t fuzz_size(fuzz_input_t *in) {
    uint8_t c = fuzz_u8(in);
    switch (c % 8) {
    case 0:
        return fuzz_u8(in);
    case 6:
        return SIZE_MAX - (size_t)fuzz_u8(in);
    case 7:
        return (size_t)fuzz_u64(in);
    default: {
        unsigned bits = 4 * (c % 8) + 8;
        return (size_t)(fuzz_u32(in) & ((1ull << bits) - 1));
    }
    }
}

/* A size of at most max bytes. */
static inline size_t fuzz_size_max(fuzz_input_t *in, size_t max) {
    size_t s = fuzz_size(in);
    return max ? s % (max + 1) : 0;
}

/* Up to cap - 1 bytes of the input as a NUL-terminated string in buf (a
 * 16-bit length comes first; the bytes may hold NULs of their own). */
static inline size_t fuzz_string(fuzz_input_t *in, char *buf, size_t cap) {
    size_t n = (size_t)fuzz_uint(in, 2) % cap;
    if (n > fuzz_left(in)) {
        n = fuzz_left(in);
    }
    memcpy(buf, in->data + in->pos, n);
    in->pos += n;
    buf[n] = '\0';
    return n;
}

#endif /* UMF_FUZZ_INPUT_H */
