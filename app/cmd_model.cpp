// SPDX-License-Identifier: MIT
// `canaille create|get|set|delete <model>` (reference §5): every attribute of the model as a
// --dashed-name option, list attributes by repeating the option, JSON out.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <ctime>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/cli.hpp"
#include "app/services.hpp"
#include "auth/password.hpp"
#include "util/base64.hpp"
#include "util/strings.hpp"

namespace canaille::app {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

std::string iso8601(TimePoint t) {
    const std::time_t s = to_unix(t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/// "2026-01-31T12:00:00Z", "2026-01-31" or unix seconds.
TimePoint parse_time(const std::string& text) {
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
        return from_unix(std::stoll(text));
    }
    std::tm tm{};
    std::istringstream in(text);
    if (text.size() == 10) {
        in >> std::get_time(&tm, "%Y-%m-%d");
    } else {
        in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    }
    if (in.fail()) throw UsageError("invalid date '" + text + "' (use YYYY-MM-DDTHH:MM:SSZ)");
    return from_unix(timegm(&tm));
}

enum class Kind { text, list, time, bytes, secret, refs };

/// One model attribute as the CLI sees it.
template <class M>
struct Attr {
    std::string name;  ///< snake_case, as in Canaille
    Kind kind;
    std::function<void(M&, const std::vector<std::string>&)> set;
    std::function<std::vector<std::string>(const M&)> get;
};

template <class M>
Attr<M> text_attr(std::string name, std::optional<std::string> M::*field) {
    return {std::move(name), Kind::text,
            [field](M& m, const std::vector<std::string>& v) {
                if (v.back().empty()) {
                    m.*field = std::nullopt;
                } else {
                    m.*field = v.back();
                }
            },
            [field](const M& m) {
                return m.*field ? std::vector<std::string>{*(m.*field)}
                                : std::vector<std::string>{};
            }};
}

template <class M>
Attr<M> list_attr(std::string name, std::vector<std::string> M::*field) {
    return {std::move(name), Kind::list,
            [field](M& m, const std::vector<std::string>& v) {
                m.*field = {};
                for (const auto& x : v) {
                    if (!x.empty()) (m.*field).push_back(x);
                }
            },
            [field](const M& m) { return m.*field; }};
}

template <class M>
Attr<M> time_attr(std::string name, std::optional<TimePoint> M::*field) {
    return {std::move(name), Kind::time,
            [field](M& m, const std::vector<std::string>& v) {
                if (v.back().empty()) {
                    m.*field = std::nullopt;
                } else {
                    m.*field = parse_time(v.back());
                }
            },
            [field](const M& m) {
                return m.*field ? std::vector<std::string>{iso8601(*(m.*field))}
                                : std::vector<std::string>{};
            }};
}

std::string dashed(std::string s) {
    for (char& c : s) {
        if (c == '_') c = '-';
    }
    return s;
}

/// Resolves a user given by user_name or id.
std::optional<model::User> find_user(store::Store& st, const std::string& key) {
    if (auto u = st.get_user_by_name(key)) return u;
    return st.get_user(key);
}

std::optional<model::Group> find_group(store::Store& st, const std::string& key) {
    if (auto g = st.get_group_by_name(key)) return g;
    return st.get_group(key);
}

std::vector<Attr<model::User>> user_attrs(store::Store& st, const auth::Argon2Params& argon2) {
    using model::User;
    std::vector<Attr<User>> a;
    a.push_back({"user_name", Kind::text,
                 [](User& u, const std::vector<std::string>& v) { u.user_name = v.back(); },
                 [](const User& u) { return std::vector<std::string>{u.user_name}; }});
    a.push_back({"password", Kind::secret,
                 [argon2](User& u, const std::vector<std::string>& v) {
                     if (v.back().empty()) {
                         u.password = std::nullopt;
                     } else {
                         u.password = auth::hash_password(v.back(), argon2);
                     }
                 },
                 [](const User&) { return std::vector<std::string>{}; }});
    a.push_back(time_attr("password_last_update", &User::password_last_update));
    a.push_back(text_attr("preferred_language", &User::preferred_language));
    a.push_back(text_attr("family_name", &User::family_name));
    a.push_back(text_attr("given_name", &User::given_name));
    a.push_back(text_attr("formatted_name", &User::formatted_name));
    a.push_back(text_attr("display_name", &User::display_name));
    a.push_back(list_attr("emails", &User::emails));
    a.push_back(list_attr("phone_numbers", &User::phone_numbers));
    a.push_back(text_attr("formatted_address", &User::formatted_address));
    a.push_back(text_attr("street", &User::street));
    a.push_back(text_attr("postal_code", &User::postal_code));
    a.push_back(text_attr("locality", &User::locality));
    a.push_back(text_attr("region", &User::region));
    a.push_back({"photo", Kind::bytes,
                 [](User& u, const std::vector<std::string>& v) {
                     const auto& x = v.back();
                     if (x.empty()) {
                         u.photo = std::nullopt;
                     } else if (x.front() == '@') {
                         std::ifstream f(x.substr(1), std::ios::binary);
                         if (!f) throw UsageError("cannot read " + x.substr(1));
                         std::ostringstream buf;
                         buf << f.rdbuf();
                         u.photo = buf.str();
                     } else {
                         auto bytes = base64_decode(x);
                         if (!bytes) throw UsageError("--photo: base64 or @FILE expected");
                         u.photo = std::move(*bytes);
                     }
                 },
                 [](const User& u) {
                     return u.photo ? std::vector<std::string>{base64_encode(*u.photo)}
                                    : std::vector<std::string>{};
                 }});
    a.push_back(text_attr("profile_url", &User::profile_url));
    a.push_back(text_attr("title", &User::title));
    a.push_back(text_attr("organization", &User::organization));
    a.push_back(text_attr("employee_number", &User::employee_number));
    a.push_back(text_attr("department", &User::department));
    a.push_back(time_attr("lock_date", &User::lock_date));
    a.push_back({"groups", Kind::refs,
                 [&st](User& u, const std::vector<std::string>& v) {
                     u.groups.clear();
                     for (const auto& name : v) {
                         if (name.empty()) continue;
                         auto g = find_group(st, name);
                         if (!g) throw UsageError("no group named '" + name + "'");
                         u.groups.push_back(g->id);
                     }
                 },
                 [&st](const User& u) {
                     std::vector<std::string> names;
                     for (const auto& id : u.groups) {
                         if (auto g = st.get_group(id)) names.push_back(g->display_name);
                     }
                     return names;
                 }});
    return a;
}

std::vector<Attr<model::Group>> group_attrs(store::Store& st) {
    using model::Group;
    std::vector<Attr<Group>> a;
    a.push_back({"display_name", Kind::text,
                 [](Group& g, const std::vector<std::string>& v) { g.display_name = v.back(); },
                 [](const Group& g) { return std::vector<std::string>{g.display_name}; }});
    a.push_back(text_attr("description", &Group::description));
    a.push_back({"members", Kind::refs,
                 [&st](Group& g, const std::vector<std::string>& v) {
                     g.members.clear();
                     for (const auto& key : v) {
                         if (key.empty()) continue;
                         auto u = find_user(st, key);
                         if (!u) throw UsageError("no user named '" + key + "'");
                         g.members.push_back(u->id);
                     }
                 },
                 [&st](const Group& g) {
                     std::vector<std::string> names;
                     for (const auto& id : g.members) {
                         if (auto u = st.get_user(id)) names.push_back(u->user_name);
                     }
                     return names;
                 }});
    a.push_back({"owner", Kind::text,
                 [&st](Group& g, const std::vector<std::string>& v) {
                     if (v.back().empty()) {
                         g.owner = std::nullopt;
                         return;
                     }
                     auto u = find_user(st, v.back());
                     if (!u) throw UsageError("no user named '" + v.back() + "'");
                     g.owner = u->id;
                 },
                 [&st](const Group& g) {
                     std::vector<std::string> out;
                     if (g.owner) {
                         if (auto u = st.get_user(*g.owner)) out.push_back(u->user_name);
                     }
                     return out;
                 }});
    return a;
}

template <class M>
void write_json(Writer& w, const M& m, const std::vector<Attr<M>>& attrs) {
    w.StartObject();
    w.Key("id");
    w.String(m.id.c_str());
    if (m.created) {
        w.Key("created");
        w.String(iso8601(*m.created).c_str());
    }
    if (m.last_modified) {
        w.Key("last_modified");
        w.String(iso8601(*m.last_modified).c_str());
    }
    for (const auto& a : attrs) {
        const auto values = a.get(m);
        if (values.empty()) continue;
        w.Key(a.name.c_str());
        if (a.kind == Kind::list || a.kind == Kind::refs) {
            w.StartArray();
            for (const auto& v : values)
                w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
            w.EndArray();
        } else {
            w.String(values.front().c_str(),
                     static_cast<rapidjson::SizeType>(values.front().size()));
        }
    }
    w.EndObject();
}

/// Applies every --option to the model; unknown options are usage errors.
template <class M>
void apply(M& m, const Args& args, const std::vector<Attr<M>>& attrs,
           const std::vector<std::string>& extra_allowed) {
    for (const auto& [name, value] : args.options()) {
        (void)value;
        bool known =
            std::find(extra_allowed.begin(), extra_allowed.end(), name) != extra_allowed.end();
        for (const auto& a : attrs) known = known || dashed(a.name) == name;
        if (!known) throw UsageError("unknown attribute --" + name);
    }
    for (const auto& a : attrs) {
        const auto values = args.values(dashed(a.name));
        if (!values.empty()) a.set(m, values);
    }
}

/// Whether the model matches every --attr filter (exact value; lists: membership).
template <class M>
bool matches(const M& m, const Args& args, const std::vector<Attr<M>>& attrs) {
    for (const auto& [name, value] : args.options()) {
        if (name == "id") {
            if (m.id != value) return false;
            continue;
        }
        for (const auto& a : attrs) {
            if (dashed(a.name) != name) continue;
            if (a.kind == Kind::secret) throw UsageError("cannot filter on --" + name);
            const auto vals = a.get(m);
            if (std::find(vals.begin(), vals.end(), value) == vals.end()) return false;
        }
    }
    return true;
}

std::string model_help(const std::string& verb) {
    std::string s = "usage: canaille [--config FILE] " + verb + " user|group ";
    if (verb == "set") s += "ID ";
    s += "[--ATTRIBUTE VALUE ...]";
    if (verb == "delete") s += " [--noconfirm]";
    s += " [--quiet] [--ignore-errors]\n\n";
    s += "user attributes: --user-name --password --password-last-update --preferred-language\n"
         "  --family-name --given-name --formatted-name --display-name --emails (repeat)\n"
         "  --phone-numbers (repeat) --formatted-address --street --postal-code --locality\n"
         "  --region --photo (base64 or @FILE) --profile-url --title --organization\n"
         "  --employee-number --department --lock-date (ISO 8601 or unix seconds)\n"
         "  --groups (repeat; group names)\n"
         "group attributes: --display-name --description --members (repeat; user names)\n"
         "  --owner (user name)\n\n"
         "An empty value clears an attribute. `get` and `delete` treat the options as filters\n"
         "(exact value; list attributes match one of their values; --id matches the id).\n"
         "Output is JSON.\n";
    return s;
}

struct Ctx {
    std::unique_ptr<SystemClock> clock = std::make_unique<SystemClock>();
    std::unique_ptr<store::Store> store;
    auth::Argon2Params argon2;
};

std::optional<Ctx> open(const GlobalOptions& global) {
    auto settings = load_settings(global);
    if (!settings) return std::nullopt;
    Ctx c;
    c.store = store::open_store(settings->sql.database_uri, *c.clock);
    c.store->check();
    return c;
}

int report(store::Status st, const std::string& what, bool ignore_errors) {
    if (st == store::Status::ok) return 0;
    std::cerr << what << ": " << store::to_string(st) << "\n";
    return ignore_errors ? 0 : 1;
}

template <class M>
void print(const std::vector<M>& items, const std::vector<Attr<M>>& attrs, bool as_list) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.SetIndent(' ', 2);
    if (as_list) w.StartArray();
    for (const auto& m : items) write_json(w, m, attrs);
    if (as_list) w.EndArray();
    std::cout << buf.GetString() << "\n";
}

const std::vector<std::string> kFlags = {"help", "quiet", "ignore-errors", "noconfirm"};

/// What create/get/set/delete need to know about one model's storage.
template <class M>
struct ModelOps {
    std::string model;                                         ///< "user"
    std::function<std::string(const M&)> label;                ///< identifier for messages
    std::function<std::optional<M>(const std::string&)> find;  ///< by identifier or id
    std::function<std::optional<M>(const std::string&)> get;   ///< by id
    std::function<std::vector<M>()> all;
    std::function<store::Status(M&)> create;
    std::function<store::Status(M&)> update;
    std::function<store::Status(const std::string&)> remove;
    std::function<void(M&, const Args&, bool creating)> before_save;
};

template <class M>
int run_verb(const std::string& verb, const Args& args, const std::vector<Attr<M>>& attrs,
             const ModelOps<M>& ops) {
    const bool quiet = args.flag("quiet");
    const bool ignore = args.flag("ignore-errors");
    const auto print_saved = [&](const std::string& id) {
        auto saved = ops.get(id);
        if (!quiet && saved) print(std::vector{*saved}, attrs, false);
    };
    if (verb == "create" || verb == "set") {
        std::optional<M> m;
        if (verb == "create") {
            m.emplace();
        } else {
            m = ops.find(args.positionals()[1]);
            if (!m) {
                std::cerr << "no " << ops.model << " '" << args.positionals()[1] << "'\n";
                return ignore ? 0 : 1;
            }
        }
        apply(*m, args, attrs, {});
        ops.before_save(*m, args, verb == "create");
        const auto st = verb == "create" ? ops.create(*m) : ops.update(*m);
        if (int rc = report(st, verb + " " + ops.model + " " + ops.label(*m), ignore)) return rc;
        print_saved(m->id);
        return 0;
    }
    for (const auto& [name, value] : args.options()) {
        (void)value;
        bool known = name == "id";
        for (const auto& a : attrs) known = known || dashed(a.name) == name;
        if (!known) throw UsageError("unknown attribute --" + name);
    }
    std::vector<M> found;
    for (auto& m : ops.all()) {
        if (matches(m, args, attrs)) found.push_back(std::move(m));
    }
    if (verb == "get") {
        print(found, attrs, true);
        return 0;
    }
    if (args.options().empty() && !args.flag("noconfirm")) {
        throw UsageError("delete without a filter removes every " + ops.model +
                         ": add --noconfirm");
    }
    int rc = 0;
    for (const auto& m : found) {
        rc |= report(ops.remove(m.id), "delete " + ops.model + " " + ops.label(m), ignore);
    }
    if (!quiet) print(found, attrs, true);
    return rc;
}

int run_model(const std::string& verb, const GlobalOptions& global,
              const std::vector<std::string>& argv) {
    Args args(argv, kFlags);
    if (args.flag("help") || args.positionals().empty()) {
        std::cout << model_help(verb);
        return args.flag("help") ? 0 : 2;
    }
    const auto& model_name = args.positionals()[0];
    if (model_name != "user" && model_name != "group") {
        throw UsageError("unknown model '" + model_name + "' (user, group)");
    }
    const std::size_t expected_positionals = verb == "set" ? 2 : 1;
    if (args.positionals().size() != expected_positionals) {
        throw UsageError(verb == "set" ? "set needs the model and an identifier"
                                       : "unexpected argument " + args.positionals().back());
    }
    auto ctx = open(global);
    if (!ctx) return 1;
    auto& st = *ctx->store;
    auto& clock = *ctx->clock;

    if (model_name == "user") {
        ModelOps<model::User> ops;
        ops.model = "user";
        ops.label = [](const model::User& u) { return u.user_name; };
        ops.find = [&](const std::string& k) { return find_user(st, k); };
        ops.get = [&](const std::string& id) { return st.get_user(id); };
        ops.all = [&] { return st.list_users("", {0, st.count_users("")}); };
        ops.create = [&](model::User& u) { return st.create_user(u); };
        ops.update = [&](model::User& u) { return st.update_user(u); };
        ops.remove = [&](const std::string& id) { return st.delete_user(id); };
        ops.before_save = [&](model::User& u, const Args& a, bool creating) {
            if (creating && u.user_name.empty()) throw UsageError("--user-name is required");
            if (!a.values("password").empty() && u.password) {
                u.password_last_update = clock.now();
            }
        };
        return run_verb(verb, args, user_attrs(st, ctx->argon2), ops);
    }
    ModelOps<model::Group> ops;
    ops.model = "group";
    ops.label = [](const model::Group& g) { return g.display_name; };
    ops.find = [&](const std::string& k) { return find_group(st, k); };
    ops.get = [&](const std::string& id) { return st.get_group(id); };
    ops.all = [&] { return st.list_groups("", {0, st.count_groups("")}); };
    ops.create = [&](model::Group& g) { return st.create_group(g); };
    ops.update = [&](model::Group& g) { return st.update_group(g); };
    ops.remove = [&](const std::string& id) { return st.delete_group(id); };
    ops.before_save = [](model::Group& g, const Args&, bool creating) {
        if (creating && g.display_name.empty()) throw UsageError("--display-name is required");
    };
    return run_verb(verb, args, group_attrs(st), ops);
}

}  // namespace

int cmd_create(const GlobalOptions& g, const std::vector<std::string>& a) {
    return run_model("create", g, a);
}
int cmd_get(const GlobalOptions& g, const std::vector<std::string>& a) {
    return run_model("get", g, a);
}
int cmd_set(const GlobalOptions& g, const std::vector<std::string>& a) {
    return run_model("set", g, a);
}
int cmd_delete(const GlobalOptions& g, const std::vector<std::string>& a) {
    return run_model("delete", g, a);
}

}  // namespace canaille::app
