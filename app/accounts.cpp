// SPDX-License-Identifier: MIT
#include "app/accounts.hpp"

#include "auth/password.hpp"

namespace canaille::app {

std::optional<model::User> find_account(Services& s, std::string_view login) {
    if (login.empty() || login.size() > kMaxLoginBytes) return std::nullopt;
    for (const auto& attr : s.settings.canaille.login_attributes) {
        std::optional<model::User> u;
        if (attr == "user_name") {
            u = s.store->get_user_by_name(login);
        } else if (attr == "emails") {
            u = s.store->get_user_by_email(login);
        }
        if (u) return u;
    }
    return std::nullopt;
}

PasswordResult check_account_password(Services& s, model::User* user, std::string_view password) {
    PasswordResult r;
    if (password.empty() || password.size() > kMaxPasswordBytes) return r;
    if (user != nullptr) {
        if (auto verdict = s.store->check_password(*user, password)) {
            r.verdict = *verdict;
            return r;
        }
    }
    if (user == nullptr || !user->password) {
        auth::verify_dummy(password, s.argon2);
        return r;
    }
    switch (auth::verify_password(*user->password, password, s.argon2)) {
        case auth::Verify::mismatch:
            return r;
        case auth::Verify::ok_needs_rehash:
            user->password = auth::hash_password(password, s.argon2);
            r.rehashed = true;
            [[fallthrough]];
        case auth::Verify::ok:
            r.verdict = store::PasswordVerdict::ok;
            return r;
    }
    return r;
}

}  // namespace canaille::app
