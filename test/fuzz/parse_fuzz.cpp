// SPDX-License-Identifier: MIT
// libFuzzer target for the request parsers. The first input byte picks the parser, so one
// corpus covers all three; the rest is the text to parse.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    canaille::http::Limits limits;
    limits.max_fields = 64;
    limits.max_field_size = 4096;
    limits.max_header_size = 1024;
    limits.max_cookies = 16;
    switch (data[0] % 4) {
        case 0: {
            (void)canaille::http::parse_urlencoded(input, limits);
            break;
        }
        case 1: {
            // "<content type>\n<body>": the boundary parameter is fuzzed too.
            const auto nl = input.find('\n');
            const auto ct = nl == std::string_view::npos ? std::string_view() : input.substr(0, nl);
            const auto body = nl == std::string_view::npos ? input : input.substr(nl + 1);
            canaille::http::Params form;
            std::vector<canaille::http::UploadedFile> files;
            (void)canaille::http::parse_multipart(body, ct, limits, form, files);
            break;
        }
        case 2: {
            std::map<std::string, std::string, std::less<>> jar;
            (void)canaille::http::parse_cookies(input, limits, jar);
            break;
        }
        default: {
            canaille::http::Request request;
            request.method = "POST";
            request.query_string = std::string(input.substr(0, input.size() / 2));
            request.headers["content-type"] = "multipart/form-data; boundary=b";
            request.headers["cookie"] = std::string(input.substr(input.size() / 2));
            request.body = std::string(input);
            (void)canaille::http::parse_request_params(request, limits);
            break;
        }
    }
    return 0;
}
