/* SPDX-License-Identifier: MIT */
#include "bpfaot/bpfaot.h"
#include <errno.h>

