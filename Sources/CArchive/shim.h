#pragma once
#include <archive.h>
#include <archive_entry.h>

// AE_IFREG/AE_IFDIR are macros with a cast Swift does not import.
static const unsigned int CA_IFREG = AE_IFREG;
static const unsigned int CA_IFDIR = AE_IFDIR;
