// SPDX-License-Identifier: MIT
// `canaille jwk create rsa|ec|okp|oct` and `canaille jwk export` (reference §5).
#include <iostream>

#include "app/cli.hpp"
#include "jose/jwk.hpp"
#include "jose/keyset.hpp"

namespace canaille::app {
namespace {

constexpr const char* kHelp =
    R"(usage: canaille jwk create rsa [--size 2048] | ec [--crv P-256] | okp [--crv Ed25519]
                           | oct [--size 256]  [--format json|pem]
       canaille [--config FILE] jwk export [KID] [--format json|pem] [--active-only]

create   prints a new private key with a kid (its RFC 7638 thumbprint) and an alg. Put it in
         CANAILLE_OIDC.ACTIVE_JWKS (inline, or a file path) to sign with it; move the old key
         to INACTIVE_JWKS so tokens it signed still verify, then reload the workers.
export   prints the public parts of the configured keys (active and inactive, or only the
         active ones): a JWKS document, or SPKI PEM blocks. Symmetric keys are never exported.
)";

int create(const Args& args) {
    const auto& pos = args.positionals();
    if (pos.size() != 2) throw UsageError("jwk create needs a key type: rsa, ec, okp or oct");
    const auto& type = pos[1];
    const auto format = args.value("format").value_or("json");
    if (format != "json" && format != "pem") throw UsageError("--format: json or pem");
    std::optional<jose::Jwk> key;
    if (type == "rsa") {
        const int size = std::stoi(args.value("size").value_or("2048"));
        if (size < 2048 || size > 8192 || size % 8 != 0) throw UsageError("--size: 2048..8192");
        key = jose::Jwk::generate_rsa(size);
    } else if (type == "ec") {
        const auto crv = args.value("crv").value_or("P-256");
        if (crv != "P-256" && crv != "P-384" && crv != "P-521") {
            throw UsageError("--crv: P-256, P-384 or P-521");
        }
        key = jose::Jwk::generate_ec(crv);
    } else if (type == "okp") {
        const auto crv = args.value("crv").value_or("Ed25519");
        if (crv != "Ed25519") throw UsageError("--crv: Ed25519");
        key = jose::Jwk::generate_okp(crv);
    } else if (type == "oct") {
        const int size = std::stoi(args.value("size").value_or("256"));
        if (size < 256 || size > 4096 || size % 8 != 0) throw UsageError("--size: 256..4096");
        key = jose::Jwk::generate_oct(size);
    } else {
        throw UsageError("unknown key type '" + type + "' (rsa, ec, okp, oct)");
    }
    if (format == "pem") {
        if (key->is_symmetric()) throw UsageError("an oct key has no PEM form");
        std::cout << key->private_pem();
    } else {
        std::cout << key->to_private_json() << "\n";
    }
    return 0;
}

int export_keys(const GlobalOptions& global, const Args& args) {
    const auto& pos = args.positionals();
    if (pos.size() > 2) throw UsageError("jwk export takes at most one KID");
    const auto format = args.value("format").value_or("json");
    if (format != "json" && format != "pem") throw UsageError("--format: json or pem");
    auto settings = load_settings(global);
    if (!settings) return 1;
    const auto& oidc = settings->oidc;
    if (oidc.active_jwks.empty()) {
        std::cerr << "CANAILLE_OIDC.ACTIVE_JWKS is not set: there is no key to export\n";
        return 1;
    }
    auto keys =
        jose::KeySet::load(oidc.active_jwks, args.flag("active-only") ? "" : oidc.inactive_jwks);
    if (!keys) {
        std::cerr << "invalid keys: " << keys.error() << "\n";
        return 1;
    }
    jose::KeySet selected;
    std::size_t count = 0;
    const auto pick = [&](const std::vector<jose::Jwk>& list, bool active) {
        for (const auto& k : list) {
            if (k.is_symmetric()) continue;
            if (pos.size() == 2 && k.kid() != pos[1]) continue;
            auto copy = jose::Jwk::from_json(k.to_public_json());
            if (copy && selected.add(std::move(copy).value(), active)) ++count;
        }
    };
    pick(keys->active(), true);
    pick(keys->inactive(), false);
    if (count == 0) {
        std::cerr << (pos.size() == 2 ? "no asymmetric key with kid " + pos[1]
                                      : std::string("no asymmetric key configured"))
                  << "\n";
        return 1;
    }
    if (format == "pem") {
        for (const auto* list : {&selected.active(), &selected.inactive()}) {
            for (const auto& k : *list) std::cout << k.public_pem();
        }
    } else {
        std::cout << selected.public_jwks_json() << "\n";
    }
    return 0;
}

}  // namespace

int cmd_jwk(const GlobalOptions& global, const std::vector<std::string>& argv) {
    Args args(argv, {"help", "active-only"});
    args.allow_only({"help", "active-only", "size", "crv", "format"});
    if (args.flag("help") || args.positionals().empty()) {
        std::cout << kHelp;
        return args.flag("help") ? 0 : 2;
    }
    const auto& verb = args.positionals()[0];
    if (verb == "create") return create(args);
    if (verb == "export") return export_keys(global, args);
    throw UsageError("unknown jwk command '" + verb + "' (create, export)");
}

}  // namespace canaille::app
