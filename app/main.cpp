// SPDX-License-Identifier: MIT
// The `canaille` binary: global options, then one subcommand. One catch per command.
#include <malloc.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "store/store.hpp"

namespace {

using canaille::app::Command;

struct Entry {
    const char* name;
    Command run;
    const char* summary;
};

constexpr Entry kCommands[] = {
    {"fcgi", canaille::app::cmd_fcgi, "serve over FastCGI (production front door)"},
    {"run", canaille::app::cmd_run, "development HTTP server on 127.0.0.1:8000"},
    {"install", canaille::app::cmd_install, "create or migrate the store schema"},
    {"check", canaille::app::cmd_check, "validate the configuration and the store"},
    {"clean", canaille::app::cmd_clean, "purge expired sessions, codes and tokens"},
    {"create", canaille::app::cmd_create, "create a user or group"},
    {"get", canaille::app::cmd_get, "list users or groups as JSON"},
    {"set", canaille::app::cmd_set, "modify a user or group"},
    {"delete", canaille::app::cmd_delete, "delete users or groups"},
    {"jwk", canaille::app::cmd_jwk, "create a signing key, or export the public keys"},
    {"dump", canaille::app::cmd_dump, "write every object of the store as JSON"},
    {"restore", canaille::app::cmd_restore, "create the objects of a dump read on stdin"},
};

void usage(std::ostream& out) {
    out << "usage: canaille [--config FILE] COMMAND [OPTIONS]\n\n"
           "An OpenID Connect provider and user management server.\n\n"
           "The configuration is read from --config, else $CANAILLE_CONFIG, else $CONFIG.\n\n"
           "commands:\n";
    for (const auto& c : kCommands) {
        out << "  " << c.name << std::string(10 - std::strlen(c.name), ' ') << c.summary << "\n";
    }
    out << "\nRun `canaille COMMAND --help` for a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
    // Each password check allocates Argon2's 19 MiB working memory. glibc raises its mmap
    // threshold after the first such block is freed, so later ones come from the heap and
    // stay resident: a worker grew from 12 to 32 MB after a few sign-ins. A fixed threshold
    // keeps big blocks mmapped and returns them on free.
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    std::vector<std::string> args(argv + 1, argv + argc);
    canaille::app::GlobalOptions global;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "--help" || a == "-h") {
            usage(std::cout);
            return 0;
        }
        if (a == "--version") {
            std::cout << "canaille " << CANAILLE_VERSION << "\n";
            return 0;
        }
        if (a == "--config") {
            if (i + 1 >= args.size()) {
                std::cerr << "canaille: --config needs a file\n";
                return 2;
            }
            global.config_path = args[++i];
        } else if (a.rfind("--config=", 0) == 0) {
            global.config_path = a.substr(9);
        } else {
            break;
        }
    }
    if (i >= args.size()) {
        usage(std::cerr);
        return 2;
    }
    const auto& name = args[i];
    const std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
    for (const auto& c : kCommands) {
        if (name != c.name) continue;
        try {
            return c.run(global, rest);
        } catch (const canaille::app::UsageError& e) {
            std::cerr << "canaille " << name << ": " << e.what() << "\n"
                      << "Run `canaille " << name << " --help` for usage.\n";
            return 2;
        } catch (const std::exception& e) {
            std::cerr << "canaille " << name << ": " << e.what() << "\n";
            return 1;
        }
    }
    std::cerr << "canaille: unknown command '" << name << "'\n";
    usage(std::cerr);
    return 2;
}
