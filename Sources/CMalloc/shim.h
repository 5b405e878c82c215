#pragma once
// glibc's malloc extensions (malloc_trim), which Glibc's Swift module does not export.
#include <malloc.h>
