// SPDX-License-Identifier: MIT
// The store conformance suite is written once against these functions; each backend
// defines them in test/store/<backend>_fixture.cpp and links the suite into its own binary.
#pragma once

#include <memory>

#include "store/store.hpp"
#include "util/clock.hpp"

namespace canaille::store::testing {

/// A fresh, private, installed and empty store. Whatever backs it (temp dir, server
/// database) is removed when the returned store is destroyed.
std::unique_ptr<Store> make_empty_store(const Clock& clock);

/// Like make_empty_store, but with no schema installed (schema_version() == 0).
std::unique_ptr<Store> make_blank_store(const Clock& clock);

/// A second, independent connection to the same data as `first` (a store returned by
/// make_empty_store or make_blank_store). Must be destroyed before `first`.
std::unique_ptr<Store> connect_again(Store& first, const Clock& clock);

}  // namespace canaille::store::testing
