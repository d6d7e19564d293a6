// SPDX-License-Identifier: MIT
// util: the small vocabulary every module shares (Result, clock, random, secrets,
// base64url, strings, logging). It depends on nothing but the standard library and OpenSSL.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace canaille {

/// The error side of a Result, as std::unexpected would hold it.
template <class E>
class Unexpected {
  public:
    explicit Unexpected(E e) : error_(std::move(e)) {}
    const E& error() const& { return error_; }
    E&& error() && { return std::move(error_); }

  private:
    E error_;
};

template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& e) {
    return Unexpected<std::decay_t<E>>(std::forward<E>(e));
}

/// A value or an error: the subset of std::expected (C++23) this code base uses.
template <class T, class E>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    template <class G>
    Result(Unexpected<G> e)  // NOLINT: implicit by design
        : v_(std::in_place_index<1>, E(std::move(e).error())) {}

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        assert(has_value());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const E& error() const& {
        assert(!has_value());
        return std::get<1>(v_);
    }
    E&& error() && {
        assert(!has_value());
        return std::get<1>(std::move(v_));
    }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

  private:
    std::variant<T, E> v_;
};

/// Result<void, E>: success carries nothing.
template <class E>
class [[nodiscard]] Result<void, E> {
  public:
    Result() = default;
    template <class G>
    Result(Unexpected<G> e) : error_(E(std::move(e).error())), ok_(false) {}  // NOLINT

    bool has_value() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const E& error() const& {
        assert(!ok_);
        return error_;
    }

  private:
    E error_{};
    bool ok_ = true;
};

}  // namespace canaille
