/*
 * fuzz_pubfile.c - libFuzzer target for kts_pubfile_parse() (KSI spec
 * 6.3): parse, then free.  The corpus in tests/fuzz/corpus/pubfile/ is
 * also replayed without clang by the driver in make check.
 */
#include <stddef.h>
#include <stdint.h>

#include "pub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kts_pubfile *pf = NULL;

	if (kts_pubfile_parse(data, size, &pf, NULL) == 0)
		kts_pubfile_free(pf);
	return 0;
}
