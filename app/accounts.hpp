// SPDX-License-Identifier: MIT
// Finding an account by its login and checking its password, shared by the sign-in form
// and the OAuth password grant. The store decides who verifies: SQL stores keep a hash the
// server checks, an LDAP directory checks with a bind (and its password policy).
#pragma once

#include <optional>
#include <string_view>

#include "app/services.hpp"
#include "model/user.hpp"
#include "store/store.hpp"

namespace canaille::app {

/// Longest login and password looked at; longer input never matches.
inline constexpr std::size_t kMaxLoginBytes = 256;
inline constexpr std::size_t kMaxPasswordBytes = 4096;

/// The account a login names, trying each CANAILLE.LOGIN_ATTRIBUTES entry in order.
std::optional<model::User> find_account(Services& s, std::string_view login);

struct PasswordResult {
    store::PasswordVerdict verdict = store::PasswordVerdict::mismatch;
    /// The stored hash was legacy or weaker than the current Argon2 parameters and `user`
    /// now holds a fresh one: the caller saves the user.
    bool rehashed = false;
};

/// Checks `password` for `user` (nullptr = no such account: the same time is spent, and
/// the answer is mismatch). An account without a password never matches.
PasswordResult check_account_password(Services& s, model::User* user, std::string_view password);

}  // namespace canaille::app
