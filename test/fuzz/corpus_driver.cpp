// SPDX-License-Identifier: MIT
// Without libFuzzer (g++ builds), runs every file of the seed corpus through the fuzz
// target once, so the corpus is exercised by `meson test --suite fuzz`.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    std::size_t runs = 0;
    for (int i = 1; i < argc; ++i) {
        std::vector<std::filesystem::path> files;
        if (std::filesystem::is_directory(argv[i])) {
            for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
                if (entry.is_regular_file()) files.push_back(entry.path());
            }
        } else {
            files.emplace_back(argv[i]);
        }
        for (const auto& file : files) {
            std::ifstream in(file, std::ios::binary);
            const std::string data((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
            // Every prefix too: truncation is the most common way real input breaks.
            for (std::size_t n = 0; n < data.size(); ++n) {
                LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), n);
            }
            ++runs;
        }
    }
    std::printf("ran %zu corpus files\n", runs);
    return runs > 0 ? 0 : 1;
}
