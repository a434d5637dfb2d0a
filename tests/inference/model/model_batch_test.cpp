// Batched steps: sequences of different lengths prefilled and decoded together give the
// same logits as each run alone; the KV cache budget is enforced and released.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "inference/model_deepseek.h"
#include "model_test_support.h"

using namespace warden::inference;

TEST_CASE("batch: mixed prefill and decode equal running each sequence alone", "[model][batch]") {
  const auto dir = testing::synth_model("v3-bf16", "v3", "tiny-v3", "bf16");
  ModelLoadOptions options;
  options.kv_cache_bytes = 32 << 20;
  auto batched = load_model(dir, options);
  auto alone = load_model(dir, options);
  const int vocab = batched->info().vocab_size;

  const std::vector<int> lengths = {3, 17, 40};
  std::vector<std::vector<TokenId>> prompts;
  for (size_t i = 0; i < lengths.size(); ++i) prompts.push_back(testing::random_ids(50 + i, lengths[i], vocab));

  // Step 1: sequence 0 and 1 prefill together; sequence 2 joins in step 2 while 0 and 1
  // decode (a mixed step); then 4 pure decode steps of all three.
  std::vector<float> b_logits, a_logits;
  std::vector<StepItem> step1 = {{10, prompts[0]}, {11, prompts[1]}};
  batched->forward(step1, b_logits);
  std::vector<std::vector<TokenId>> next(3);
  for (int i = 0; i < 2; ++i) {
    StepItem item{static_cast<SequenceId>(20 + i), prompts[i]};
    alone->forward(std::span<const StepItem>(&item, 1), a_logits);
    REQUIRE(std::equal(a_logits.begin(), a_logits.end(), b_logits.begin() + i * vocab));
    next[i].push_back(testing::argmax(a_logits.data(), vocab));
  }

  std::vector<StepItem> step2 = {{10, next[0]}, {12, prompts[2]}, {11, next[1]}};
  batched->forward(step2, b_logits);
  REQUIRE(b_logits.size() == static_cast<size_t>(3) * vocab);
  {
    StepItem i0{20, next[0]}, i2{22, prompts[2]}, i1{21, next[1]};
    for (auto [item, row] : {std::pair{i0, 0}, std::pair{i2, 1}, std::pair{i1, 2}}) {
      alone->forward(std::span<const StepItem>(&item, 1), a_logits);
      REQUIRE(std::equal(a_logits.begin(), a_logits.end(), b_logits.begin() + row * vocab));
    }
  }
  REQUIRE(batched->cached_tokens(12) == 40);
  REQUIRE(batched->cached_tokens(10) == 4);

  std::vector<TokenId> tokens = {testing::argmax(b_logits.data(), vocab), testing::argmax(b_logits.data() + vocab, vocab),
                                 testing::argmax(b_logits.data() + 2 * vocab, vocab)};
  for (int s = 0; s < 4; ++s) {
    std::vector<StepItem> items = {{10, std::span<const TokenId>(&tokens[0], 1)},
                                   {11, std::span<const TokenId>(&tokens[1], 1)},
                                   {12, std::span<const TokenId>(&tokens[2], 1)}};
    batched->forward(items, b_logits);
    const SequenceId alone_ids[3] = {20, 21, 22};
    for (int i = 0; i < 3; ++i) {
      StepItem item{alone_ids[i], std::span<const TokenId>(&tokens[i], 1)};
      alone->forward(std::span<const StepItem>(&item, 1), a_logits);
      INFO("decode step " << s << " sequence " << i);
      REQUIRE(std::equal(a_logits.begin(), a_logits.end(), b_logits.begin() + i * vocab));
    }
    for (int i = 0; i < 3; ++i) tokens[i] = testing::argmax(b_logits.data() + i * vocab, vocab);
  }
}

TEST_CASE("kv cache: budget, can_hold, release and step validation", "[model][batch]") {
  const auto dir = testing::synth_model("v3-bf16", "v3", "tiny-v3", "bf16");
  ModelLoadOptions options;
  // tiny-v3: 3 layers x (32 + 8) floats = 480 B per token; a page is 16 tokens = 7680 B.
  options.kv_cache_bytes = 4 * 7680;  // 64 tokens
  auto model = load_model(dir, options);
  const int vocab = model->info().vocab_size;
  REQUIRE(model->can_hold(1, 64));
  REQUIRE_FALSE(model->can_hold(1, 65));
  const auto ids = testing::random_ids(1, 40, vocab);
  std::vector<float> logits;
  StepItem a{1, ids};
  model->forward(std::span<const StepItem>(&a, 1), logits);
  REQUIRE(model->cached_tokens(1) == 40);
  REQUIRE(model->can_hold(1, 8));     // fills its own third page
  REQUIRE(model->can_hold(2, 16));    // one free page left
  REQUIRE_FALSE(model->can_hold(2, 17));
  StepItem b{2, ids};
  REQUIRE_THROWS_WITH(model->forward(std::span<const StepItem>(&b, 1), logits), Catch::Contains("KV cache full"));
  REQUIRE(model->cached_tokens(2) == 0);
  model->release(1);
  REQUIRE(model->cached_tokens(1) == 0);
  model->forward(std::span<const StepItem>(&b, 1), logits);
  REQUIRE(model->cached_tokens(2) == 40);

  const std::vector<TokenId> bad = {vocab};
  StepItem c{3, bad};
  REQUIRE_THROWS_WITH(model->forward(std::span<const StepItem>(&c, 1), logits), Catch::Contains("outside the vocabulary"));
  std::vector<StepItem> twice = {{2, ids}, {2, ids}};
  REQUIRE_THROWS_WITH(model->forward(twice, logits), Catch::Contains("appears twice"));
}

TEST_CASE("load errors: checkpoint problems name the tensor or field", "[model]") {
  namespace fs = std::filesystem;
  const auto good = testing::synth_model("v2-bf16", "v2", "tiny-v2", "bf16");
  auto copy = [&](const std::string& name, const fs::path& from = fs::path()) {
    const fs::path dst = testing::temp_root() / name;
    fs::remove_all(dst);
    fs::copy(from.empty() ? good : from, dst, fs::copy_options::recursive);
    return dst;
  };
  auto error_of = [](const fs::path& dir) {
    try {
      load_model(dir, ModelLoadOptions{});
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  {
    const fs::path dir = copy("bad_config");
    auto text = [&] {
      std::ifstream f(dir / "config.json");
      return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    }();
    auto json = warden::core::Json::parse(text);
    json.set("kv_lora_rank", 0);
    std::ofstream(dir / "config.json") << json.dump();
    REQUIRE_THAT(error_of(dir), Catch::Contains("\"kv_lora_rank\""));
  }
  {
    const fs::path dir = copy("wrong_shape");
    auto json = warden::core::Json::parse([&] {
      std::ifstream f(dir / "config.json");
      return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    }());
    json.set("moe_intermediate_size", 40);  // tensors were written 32 wide
    std::ofstream(dir / "config.json") << json.dump();
    REQUIRE_THAT(error_of(dir), Catch::Contains("experts.0.gate_proj.weight") && Catch::Contains("shape"));
  }
  {
    const fs::path dir = copy("truncated_shard");
    const fs::path shard = dir / "model-00002-of-00002.safetensors";
    fs::resize_file(shard, fs::file_size(shard) - 100);
    REQUIRE_THAT(error_of(dir), Catch::Contains("model-00002-of-00002.safetensors") &&
                                    Catch::Contains("outside the data section"));
  }
  {
    const fs::path dir = copy("missing_tensor");
    auto json = warden::core::Json::parse([&] {
      std::ifstream f(dir / "model.safetensors.index.json");
      return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    }());
    auto& map = json["weight_map"].as_object();
    map.erase(std::remove_if(map.begin(), map.end(),
                             [](const auto& kv) { return kv.first == "model.layers.1.self_attn.kv_a_layernorm.weight"; }),
              map.end());
    std::ofstream(dir / "model.safetensors.index.json") << json.dump();
    REQUIRE_THAT(error_of(dir), Catch::Contains("missing tensor \"model.layers.1.self_attn.kv_a_layernorm.weight\""));
  }
  {
    // The V3 multi-token-prediction layer is validated at load even though it is unused.
    const fs::path dir = copy("missing_mtp", testing::synth_model("v3-bf16", "v3", "tiny-v3", "bf16"));
    auto json = warden::core::Json::parse([&] {
      std::ifstream f(dir / "model.safetensors.index.json");
      return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    }());
    auto& map = json["weight_map"].as_object();
    map.erase(std::remove_if(map.begin(), map.end(),
                             [](const auto& kv) { return kv.first == "model.layers.3.eh_proj.weight"; }),
              map.end());
    std::ofstream(dir / "model.safetensors.index.json") << json.dump();
    REQUIRE_THAT(error_of(dir), Catch::Contains("missing tensor \"model.layers.3.eh_proj.weight\""));
  }
}
