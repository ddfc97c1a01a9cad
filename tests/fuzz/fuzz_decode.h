// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstddef>
#include <cstdint>

// The libFuzzer entry point, also called directly by replay_corpus. Aborts when the decoder
// or the stream reader breaks one of their promises; returns 0 otherwise.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);
