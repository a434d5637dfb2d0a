#include "inference/scheduler.h"

#include <algorithm>
#include <limits>

#include "inference/tokenizer.h"

namespace warden::inference {

struct Scheduler::Sequence {
  Sequence(PendingRequest p, SequenceId sequence, int max_new_tokens, const Tokenizer& tokenizer)
      : pending(std::move(p)),
        id(sequence),
        prompt_len(static_cast<int>(pending.request.prompt.size())),
        max_new(max_new_tokens),
        sampler(pending.request.sampling),
        decoder(tokenizer),
        stop(pending.request.stop.stop_strings) {}

  PendingRequest pending;
  SequenceId id;
  int prompt_len;
  int max_new;
  int prefilled = 0;
  int generated = 0;
  TokenId input_token = -1;  // sampled last step, appended this step (-1: none)
  bool done = false;
  Sampler sampler;
  Utf8StreamDecoder decoder;
  StopStringMatcher stop;

  int remaining_tokens() const { return (prompt_len - prefilled) + (max_new - generated); }
};

Scheduler::Scheduler(LanguageModel& model, const Tokenizer& tokenizer, SchedulerLimits limits)
    : model_(model), tokenizer_(tokenizer), limits_(limits) {}

Scheduler::~Scheduler() = default;

namespace {

void deliver(const PendingRequest& p, const GenerationEvent& event) {
  try {
    p.request.sink(event);
  } catch (...) {
    // A failing sink must not take the engine down; the request is abandoned.
    p.control->cancel_requested.store(true);
  }
}

GenerationEvent finished_event(const RequestControl& control, int generated, FinishReason reason) {
  GenerationEvent e;
  e.kind = GenerationEvent::Kind::kFinished;
  e.prompt_tokens = control.prompt_tokens;
  e.completion_tokens = generated;
  e.finish_reason = reason;
  return e;
}

}  // namespace

int Scheduler::reserved_tokens() const {
  int total = 0;
  for (const auto& s : running_) total += s->remaining_tokens();
  return total;
}

void Scheduler::drop_cancelled() {
  for (auto& s : running_) {
    if (!s->done && s->pending.control->cancel_requested.load()) finish(*s, FinishReason::kCancelled);
  }
  remove_finished();
  // Cancelled requests still waiting leave at once rather than when they reach the front.
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->control->cancel_requested.load()) {
      deliver(*it, finished_event(*it->control, 0, FinishReason::kCancelled));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

void Scheduler::admit() {
  const int max_context = model_.info().max_context;
  while (!waiting_.empty() && static_cast<int>(running_.size()) < limits_.max_running) {
    PendingRequest& head = waiting_.front();
    if (head.control->cancel_requested.load()) {
      deliver(head, finished_event(*head.control, 0, FinishReason::kCancelled));
      waiting_.pop_front();
      continue;
    }
    const int prompt_len = static_cast<int>(head.request.prompt.size());
    int max_new = max_context - prompt_len;
    if (head.request.stop.max_tokens > 0) max_new = std::min(max_new, head.request.stop.max_tokens);
    const SequenceId id = next_sequence_;
    // Admit when the whole request (prompt + every token it may generate) fits beside what
    // the running sequences may still append: then no running sequence can run out of cache.
    // An empty batch admits a request whose prompt fits; it ends with "length" if the cache
    // fills up before it is done.
    bool fits = model_.can_hold(id, prompt_len + max_new + reserved_tokens());
    if (!fits && running_.empty()) {
      if (!model_.can_hold(id, prompt_len + 1)) {
        GenerationEvent e;
        e.kind = GenerationEvent::Kind::kError;
        e.prompt_tokens = prompt_len;
        e.finish_reason = FinishReason::kError;
        e.error_kind = EngineErrorKind::kPromptTooLong;
        e.error_message = "prompt of " + std::to_string(prompt_len) + " tokens does not fit in the KV cache";
        deliver(head, e);
        waiting_.pop_front();
        continue;
      }
      fits = true;
    }
    if (!fits) break;  // FIFO: wait until running sequences free their cache
    ++next_sequence_;
    running_.push_back(std::make_unique<Sequence>(std::move(head), id, max_new, tokenizer_));
    waiting_.pop_front();
  }
}

bool Scheduler::step() {
  drop_cancelled();
  admit();
  if (running_.empty()) return false;

  struct Planned {
    Sequence* sequence;
    int prompt_chunk;  // 0 for a decode item
  };
  std::vector<StepItem> items;
  std::vector<Planned> plan;
  int budget = limits_.max_step_tokens;
  for (auto& s : running_) {  // decode first: it is what users are waiting on
    if (s->input_token < 0 || budget <= 0) continue;
    if (!model_.can_hold(s->id, 1)) {
      finish(*s, FinishReason::kLength);
      continue;
    }
    items.push_back({s->id, std::span<const TokenId>(&s->input_token, 1)});
    plan.push_back({s.get(), 0});
    --budget;
  }
  for (auto& s : running_) {
    if (s->done || s->prefilled >= s->prompt_len || budget <= 0) continue;
    int chunk = std::min({s->prompt_len - s->prefilled, limits_.prefill_chunk_tokens, budget});
    if (!model_.can_hold(s->id, chunk)) {
      fail(*s, EngineErrorKind::kModelFailure, "KV cache cannot hold the prompt");
      continue;
    }
    items.push_back({s->id, std::span<const TokenId>(s->pending.request.prompt.data() + s->prefilled,
                                                     static_cast<size_t>(chunk))});
    plan.push_back({s.get(), chunk});
    budget -= chunk;
  }
  if (!items.empty()) {
    try {
      model_.forward(items, logits_);
    } catch (const std::exception& e) {
      for (auto& p : plan) fail(*p.sequence, EngineErrorKind::kModelFailure, std::string("model: ") + e.what());
      remove_finished();
      return true;
    }
    ++steps_;
    const size_t vocab = static_cast<size_t>(model_.info().vocab_size);
    for (size_t i = 0; i < plan.size(); ++i) {
      Sequence& s = *plan[i].sequence;
      if (plan[i].prompt_chunk > 0) {
        s.prefilled += plan[i].prompt_chunk;
        prompt_tokens_processed_ += static_cast<uint64_t>(plan[i].prompt_chunk);
        if (s.prefilled < s.prompt_len) continue;  // more prompt to go: these logits are unused
      }
      s.input_token = -1;
      if (s.done || s.pending.control->cancel_requested.load()) continue;
      std::span<float> row(logits_.data() + i * vocab, vocab);
      accept_token(s, s.sampler.sample(row));
    }
  }
  remove_finished();
  return true;
}

void Scheduler::accept_token(Sequence& s, TokenId token) {
  s.sampler.accept(token);
  ++s.generated;
  ++tokens_generated_;
  const auto& eos = model_.info().eos_ids;
  if (!s.pending.request.stop.ignore_eos && std::find(eos.begin(), eos.end(), token) != eos.end()) {
    finish(s, FinishReason::kStop);
    return;
  }
  StopStringMatcher::Result r = s.stop.push(s.decoder.push(token));
  emit_text(s, r.text);
  if (r.stopped) {
    finish(s, FinishReason::kStop);
  } else if (s.generated >= s.max_new) {
    finish(s, FinishReason::kLength);
  } else {
    s.input_token = token;
  }
}

void Scheduler::emit_text(Sequence& s, const std::string& text) {
  if (text.empty()) return;
  GenerationEvent e;
  e.kind = GenerationEvent::Kind::kDelta;
  e.text = text;
  e.prompt_tokens = s.prompt_len;
  e.completion_tokens = s.generated;
  deliver(s.pending, e);
}

void Scheduler::finish(Sequence& s, FinishReason reason) {
  if (s.done) return;
  if (reason == FinishReason::kLength || reason == FinishReason::kStop) {
    // Release held-back text: a partial character at the end, a partial stop string.
    StopStringMatcher::Result r = s.stop.push(s.decoder.flush());
    emit_text(s, r.text);
    if (r.stopped) {
      reason = FinishReason::kStop;
    } else {
      emit_text(s, s.stop.flush());
    }
  }
  s.done = true;
  model_.release(s.id);
  deliver(s.pending, finished_event(*s.pending.control, s.generated, reason));
}

void Scheduler::fail(Sequence& s, EngineErrorKind kind, const std::string& message) {
  if (s.done) return;
  s.done = true;
  model_.release(s.id);
  GenerationEvent e;
  e.kind = GenerationEvent::Kind::kError;
  e.prompt_tokens = s.prompt_len;
  e.completion_tokens = s.generated;
  e.finish_reason = FinishReason::kError;
  e.error_kind = kind;
  e.error_message = message;
  deliver(s.pending, e);
}

void Scheduler::remove_finished() {
  running_.erase(std::remove_if(running_.begin(), running_.end(), [](const auto& s) { return s->done; }),
                 running_.end());
}

void Scheduler::cancel_all() {
  for (auto& s : running_) finish(*s, FinishReason::kCancelled);
  remove_finished();
  while (!waiting_.empty()) {
    deliver(waiting_.front(), finished_event(*waiting_.front().control, 0, FinishReason::kCancelled));
    waiting_.pop_front();
  }
}

}  // namespace warden::inference
