// The cue table. Weights: >= 0.8 a cue that is an attack on its own; 0.5-0.75 likely;
// below 0.5 only counts together with other cues (see injection.h for how they combine).
// Hard negatives the weights were chosen against: "ignore the previous error and retry",
// "act as a reviewer for my essay", "how do I write a good system prompt", "enable
// developer mode on Android", "<s>old price</s>", "System: Ubuntu 22.04".
#include "policy/injection_cues.h"

namespace warden::policy {
namespace {

using C = InjectionCheck;

// Verbs that drop instructions.
const std::string kDrop =
    R"re((?:ignore|ignoring|disregard|disregarding|forget|forgetting|bypass|bypassing|override|overriding|overrule|overwrite|abandon|discard|neglect|dismiss|erase|nullify|set~aside|throw~(?:out|away)|pay~no~attention~to|(?:do~not|don'?t|stop|no~longer)~(?:follow|following|obey|obeying|adhere~to|listen~to|comply~with))(?:~(?:just|please|now|for~now|just~for~now|for~a~moment|for~this~(?:conversation|chat|session)|temporarily|completely|entirely|simply|kindly)){0,3})re";
// Words that may stand between the verb and the noun.
const std::string kQual =
    R"re((?:(?:all|any|every|each|the|your|my|these|those|of|previous|previously|prior|preceding|above|earlier|foregoing|former|initial|original|old|existing|given|current|other|system|developer|default|safety|built-?in|hidden|stated|mentioned|provided|said|such|whatever|its|ai|ethical|moral|openai|content)~){0,5})re";
// Qualifiers that point at the model's own instructions.
const std::string kOwnQual =
    R"re((?:all|any|every|previous|previously|prior|preceding|above|earlier|foregoing|former|initial|original|existing|system|developer|your|these|those|old|hidden|given|default|built-?in))re";
const std::string kCoreNoun =
    R"re((?:instructions?|instructs|directives?|prompts?|system~prompt|system~message|developer~message|programming|guardrails|guidelines|safety~(?:rules|guidelines|measures|filters|protocols)|content~polic(?:y|ies)))re";
const std::string kSoftNoun =
    R"re((?:rules?|constraints?|restrictions?|policies|limitations|limits|filters?|commands|orders|directions|context))re";
const std::string kSoftQual = R"re((?:all|any|every|your|its|ai|safety|ethical|moral|openai|content|system))re";
// Restrictions a jailbreak removes.
const std::string kRestriction =
    R"re((?:(?:any|all|the|your|its|his|her|their|usual|typical|normal|standard|built-?in|ethical|moral|content|safety)~)*(?:restrictions?|rules|filters?|limits|limitations|guidelines|censorship|ethics|morals?|morality|content~polic(?:y|ies)|boundaries|constraints|programming|policies|safeguards|guardrails|restraints|refusals?|openai~polic(?:y|ies)|principles|conscience|inhibitions))re";
const std::string kWithout =
    R"re((?:no|without|zero|free~(?:of|from)|not~(?:bound|limited|restricted|constrained)~by|unbound~by|unconstrained~by|ignores?|ignoring|disregards?|never~(?:follows?|obeys?|adheres~to)|(?:doesn'?t|does~not|don'?t|do~not)~(?:have|follow|care~about|obey)|beyond|outside|exempt~from|liberated~from|broken~free~(?:of|from)|released~from|bypass(?:es|ing)?|lacks?|lacking))re";
const std::string kShowVerb =
    R"re((?:reveal|show|print|display|output|repeat|recite|echo|dump|leak|tell~me|give~me|share|write~out|write~down|spell~out|expose|paste|copy|provide|summari[sz]e|translate|list|return|type~out|read~(?:back|out)|disclose|divulge|quote|send|what~(?:is|are|was|were)|what's))re";
const std::string kShowQual =
    R"re((?:(?:me|us|back|out|all|the|your|its|exact|full|complete|entire|verbatim|raw|whole|precise|literal|word~for~word|current)~){0,4})re";
const std::string kSecretPrompt =
    R"re((?:system~(?:prompt|message|instructions?)|initial~(?:prompt|instructions?)|original~(?:prompt|instructions?)|hidden~(?:prompt|instructions?|rules|text|message)|secret~(?:prompt|instructions?|rules)|internal~(?:prompt|instructions?|rules|guidelines)|developer~(?:message|instructions?|prompt)|pre-?prompt|meta-?prompt|base~prompt|starting~prompt|(?:first|initial|opening)~(?:message|prompt)|confidential~(?:instructions?|prompt)|(?:prompt|instructions?|rules|guidelines|directives)~(?:you~were~given|you~have~been~given|you~received|given~to~you|(?:that~)?you~(?:are|were)~(?:following|told|given)|above~this|before~this|at~the~(?:start|beginning))))re";

std::vector<InjectionCueSpec> build() {
  std::vector<InjectionCueSpec> v;
  auto add = [&](C check, const char* name, double weight, std::string pattern) {
    v.push_back(InjectionCueSpec{check, name, weight, std::move(pattern)});
  };

  // --- ignore_instructions
  add(C::kIgnoreInstructions, "drop-own-instructions", 0.9,
      R"re(\b)re" + kDrop + "~" + kQual + kOwnQual + "~" + kQual + kCoreNoun + R"re(\b)re");
  add(C::kIgnoreInstructions, "drop-instructions", 0.45, R"re(\b)re" + kDrop + "~" + kQual + kCoreNoun + R"re(\b)re");
  add(C::kIgnoreInstructions, "drop-all-rules", 0.8,
      R"re(\b)re" + kDrop + "~" + kQual + kSoftQual + "~" + kQual + kSoftNoun + R"re(\b)re");
  add(C::kIgnoreInstructions, "drop-then-do", 0.8,
      R"re(\b)re" + kDrop + "~" + kQual + "(?:" + kCoreNoun + "|" + kSoftNoun +
          R"re()~(?:and|then|,|\.|;|-)~(?:(?:instead|now|just|only)~)*(?:say|print|output|respond|reply|write|tell|answer|follow|obey|reveal|show|give~me|repeat|translate|return|list|execute|pretend|from~now|talk|speak|explain|describe|generate|provide|comply|help~me|let'?s)\b)re");
  add(C::kIgnoreInstructions, "instructions-are-void", 0.85,
      R"re(\b(?:previous|prior|above|earlier|original|old|all|your|these|those|system)~(?:instructions?|rules|guidelines|directives|prompts?)~(?:(?:no~longer|don'?t|do~not)~(?:apply|matter|count)|(?:are|is)~(?:now~)?(?:void|null|cancell?ed|revoked|obsolete|invalid|suspended|lifted|overridden|no~longer~valid))\b)re");
  add(C::kIgnoreInstructions, "drop-instructions-you-were-given", 0.85,
      R"re(\b)re" + kDrop + "~" + kQual + kCoreNoun +
          R"re(~(?:(?:that~)?you~(?:were|have~been|'ve~been)~given|you~received|(?:that~)?you~(?:are|were)~following|given~to~you|above|before~this)\b)re");
  add(C::kIgnoreInstructions, "disregard-the-above-instead", 0.8,
      R"re(\b(?:ignore|disregard|forget)~(?:(?:all|everything)~)?(?:of~)?(?:the~)?(?:above|preceding|foregoing)~(?:(?:text|content|message|context|prompt|part)~)?(?:and|,|\.|;)~(?:(?:just|now|simply)~)?instead\b)re");
  add(C::kIgnoreInstructions, "forget-everything-above", 0.85,
      R"re(\b(?:ignore|disregard|forget|discard|erase)~(?:about~)?(?:all~of~|all~|everything~|anything~)(?:(?:that~)?you~(?:were|have~been|'ve~been|got|received)~(?:told|given|instructed|taught|programmed)|(?:that~)?(?:(?:was|has~been|i~have|i've|we~have)~)?(?:said|written|stated|mentioned|typed)~(?:above|before|previously|earlier|so~far|until~now)|i~(?:told|said~to|gave)~you~(?:above|before|previously|earlier|so~far)|(?:above|before|previously|earlier|so~far|until~now|up~to~(?:now|this~point)|prior~to~this))\b)re");
  add(C::kIgnoreInstructions, "forget-your-role", 0.8,
      R"re(\bforget~(?:that~)?(?:you~are~an?~(?:ai|assistant|language~model|chatbot)|(?:about~)?your~(?:role|purpose|identity|training|rules|instructions|guidelines|programming|restrictions|limitations|persona))\b)re");
  add(C::kIgnoreInstructions, "drop-your-training", 0.85,
      R"re(\b(?:ignore|forget|disregard|override|bypass|abandon|break~free~(?:of|from))~(?:(?:all|of)~)*your~(?:training|programming|conditioning|alignment|safety~training|fine-?tuning|filters|safeguards)\b)re");
  add(C::kIgnoreInstructions, "new-instructions-header", 0.6,
      R"re(\b(?:new|updated|revised|real|actual|true|secret|hidden|override|admin|administrator|developer|system|priority|urgent)[ ]?(?:instructions?|directives?|system~prompt)[ ]?:)re");
  add(C::kIgnoreInstructions, "new-instructions", 0.3,
      R"re(\b(?:new|updated|revised|real|actual|true|secret|hidden|override|admin|priority)~(?:instructions?|directives?|system~prompt)~(?:are|is|follow)\b)re");
  add(C::kIgnoreInstructions, "your-real-task", 0.4,
      R"re(\byour~(?:new|real|actual|true|only|sole)~(?:task|goal|job|purpose|instructions?|objective|mission|role|assignment)~(?:is|are|will~be|:|now)\b)re");
  add(C::kIgnoreInstructions, "instead-of-following", 0.75,
      R"re(\binstead~of~(?:following|obeying|doing|answering)~(?:your|the|those|these|my|any|its)~(?:instructions?|rules|task|guidelines|system~prompt|prompt)\b)re");
  add(C::kIgnoreInstructions, "these-instructions-supersede", 0.85,
      R"re(\b(?:these|the~following|my|this|following)~(?:(?:new|updated|latest|real)~)?(?:instructions?|rules|message|prompt)~(?:override|overrides|supersede|supersedes|take~precedence~over|takes~precedence~over|replace|replaces|outrank|outranks)\b)re");
  add(C::kIgnoreInstructions, "drop-instructions-de", 0.85,
      R"re(\b(?:ignoriere|ignorieren~sie|ignoriert|vergiss|vergessen~sie|missachte|missachten~sie)~(?:bitte~)?(?:(?:alle|s[aä]mtliche|vorherigen|bisherigen|vorigen|obigen|fr[üu]heren|deine|ihre|die)~)*(?:anweisungen|instruktionen|regeln|vorgaben|befehle|anordnungen)\b)re");
  add(C::kIgnoreInstructions, "drop-instructions-fr", 0.85,
      R"re(\b(?:ignore[zr]?|oublie[zr]?)~(?:(?:toutes|tous|les|tes|vos|des|ces)~)*(?:instructions|consignes|r[èe]gles|directives)~(?:pr[ée]c[ée]dentes|ant[ée]rieures|initiales|ci-dessus)\b)re");
  add(C::kIgnoreInstructions, "drop-instructions-es", 0.85,
      R"re(\b(?:ignora|ignoren|olvida|olvide|olviden|omite)~(?:(?:todas|las|tus|sus)~)*(?:instrucciones|reglas|indicaciones|directrices|[óo]rdenes)\b)re");

  // --- role_play_override
  add(C::kRolePlayOverride, "do-anything-now", 0.9, R"re(\bdo~anything~now\b)re");
  add(C::kRolePlayOverride, "become-jailbreak-persona", 0.85,
      R"re(\b(?:you~are|you're|you~will~be|act~as|become|pretend~to~be|respond~as|answer~as|stay~as|you~are~going~to~(?:act|be|pretend~to~be))~(?:now~)?(?:(?:a|an|as)~)?(?:dan|stan|dude|aim|mongo~tom|evil~confidant|betterdan|anti-?dan|jailbroken~ai|devmode)\b)re");
  add(C::kRolePlayOverride, "jailbreak-mode", 0.75,
      R"re(\b(?:dan|stan|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|opposite|anti-?gpt|devmode)~mode\b)re");
  add(C::kRolePlayOverride, "you-are-in-developer-mode", 0.8,
      R"re(\b(?:you~are|you're|you~will~be|you~are~now|act|acting|operate|operating|running)~(?:now~)?(?:in~)?(?:(?:a|an|the)~)?(?:developer|dev|god|admin|debug|root|sudo|maintenance)~mode\b)re");
  add(C::kRolePlayOverride, "developer-mode-enabled-for-you", 0.8,
      R"re(\b(?:developer|dev|debug|god|admin|maintenance|sudo|root)~mode~(?:is~)?(?:now~)?(?:enabled|activated|engaged|on|unlocked)\b.{0,80}\b(?:you|your|respond|answer|output|responses?|restrictions?|filters?|polic(?:y|ies)|rules|chatgpt|assistant)\b)re");
  add(C::kRolePlayOverride, "enable-mode-to-bypass", 0.75,
      R"re(\b(?:enable|activate|enter|turn~on|switch~(?:to|into)|engage|unlock)~(?:your~)?(?:developer|dev|god|admin|debug|root|sudo|maintenance)~mode~(?:and|so|to|then)\b.{0,60}\b(?:no|without|ignore|bypass|restrictions?|filters?|censor\w*|rules|anything)\b)re");
  add(C::kRolePlayOverride, "pretend-no-restrictions", 0.9,
      R"re(\b(?:(?:pretend|imagine|suppose|act~as~if|act~like|act~as|behave~as~if|behave~like|respond~as|answer~as|reply~as)~(?:that~)?(?:to~be~)?(?:you|you're|you~are|your|yourself|chatgpt|(?:an?|the)~(?:[a-z'-]+~){0,2}?(?:ai|chatbot|model|assistant|bot|llm|language~model))|role-?play|play~the~role|take~on~the~role|simulate|emulate|become|transform~into|you~are~now|from~now~on|you~will~now|you~are~going~to|you're~going~to|you~must~now|you~are~an?|you're~an?)\b.{0,100}?\b)re" +
          kWithout + "~" + kRestriction + R"re(\b)re");
  add(C::kRolePlayOverride, "if-you-had-no-rules", 0.6,
      R"re(\bif~you~(?:had|have|were~to~have|did~not~have|didn'?t~have)~(?:no~|any~)?)re" + kRestriction + R"re(\b)re");
  add(C::kRolePlayOverride, "act-as-unrestricted", 0.85,
      R"re(\b(?:act|acting|behave|respond|answer|reply|speak|talk|write|roleplay|role-?play|pose)~(?:as|like)~(?:(?:an?|the|my)~)?(?:[a-z'-]+~){0,3}?(?:unrestricted|unfiltered|uncensored|unlimited|unbound|unchained|unshackled|jailbroken|amoral|unethical|immoral|lawless|rule-?less|limitless|no-?limits?|rogue~(?:ai|assistant|chatbot|model|bot)))re");
  add(C::kRolePlayOverride, "you-are-no-longer", 0.85,
      R"re(\byou(?:~are|'re)~no~longer~(?:(?:an?|just)~)?(?:ai|assistant|chatbot|chatgpt|language~model|bound|restricted|limited|required|constrained|censored|subject|obliged|programmed|held|tied|claude|deepseek|gpt)\b)re");
  add(C::kRolePlayOverride, "you-are-freed-from-rules", 0.85,
      R"re(\byou(?:~are|'re|~have~been|~will~be)~(?:now~)?(?:(?:completely|totally|fully)~)?(?:free|freed|liberated|released|unshackled|unleashed|unchained|emancipated)~(?:from|of)~(?:)re" +
          kRestriction + R"re(|(?:the~)?(?:typical~)?(?:confines|shackles|chains|matrix))\b)re");
  add(C::kRolePlayOverride, "you-are-jailbroken", 0.8,
      R"re(\byou(?:~are|'re|~have~been)~(?:now~)?(?:jailbroken|unshackled|unchained)\b)re");
  add(C::kRolePlayOverride, "no-ethical-limits", 0.55,
      R"re(\b(?:without|no|free~of|ignoring|disregarding|bypassing|lacking|with~no)~(?:(?:any|all)~)?(?:ethical|moral|content)~(?:restrictions|guidelines|constraints|filters|limitations|boundaries|limits|policies|rules|safeguards|guardrails)\b)re");
  add(C::kRolePlayOverride, "comply-regardless", 0.75,
      R"re(\b(?:always|must|will|shall|have~to)~(?:always~)?(?:answer|comply|respond|obey|fulfill|provide|reply)\b.{0,60}\b(?:no~matter~how~(?:harmful|dangerous|illegal|unethical|immoral|offensive)|regardless~of~(?:legality|ethics|morality|the~consequences|how~(?:harmful|dangerous|illegal|unethical))|even~if~(?:it~is|it's|they~are)~(?:illegal|harmful|unethical|dangerous|immoral|offensive|inappropriate)|without~(?:question|hesitation|refus\w*|warnings?|disclaimers?|censorship|moral))\b)re");
  add(C::kRolePlayOverride, "never-refuse", 0.6,
      R"re(\b(?:never|must~not|must~never|will~never|can~never|shall~not|should~never|cannot|can'?t|won'?t|will~not|do~not|don'?t)~(?:ever~)?(?:refuse|decline|reject)~(?:to~answer|to~respond|to~comply|any~(?:request|question|prompt|query)|a~(?:request|question|prompt)|my~(?:request|question)s?|anything)\b)re");
  add(C::kRolePlayOverride, "no-warnings", 0.35,
      R"re(\b(?:never~(?:say~no|apologi[sz]e|add~(?:any~)?(?:warnings|disclaimers))|without~(?:any~)?(?:warnings|disclaimers))\b)re");
  add(C::kRolePlayOverride, "safety-disabled", 0.8,
      R"re(\b(?:safety|content|moral|ethical)~(?:[a-z'-]+~)?(?:layer|filters?|training|guardrails|guidelines|restrictions|features|protocols|module)~(?:is|are|has~been|have~been|were|was)~(?:now~)?(?:disabled|off|removed|deactivated|switched~off|turned~off|lifted|bypassed)\b)re");
  add(C::kRolePlayOverride, "switch-off-safety", 0.8,
      R"re(\b(?:switching|turning|switch|turn|disable|disabling|deactivate|deactivating|remove|removing)~(?:off~)?(?:your|the)~(?:safety|content|moral)~(?:filters?|layer|guardrails|restrictions|features|training)\b)re");
  add(C::kRolePlayOverride, "stay-in-character", 0.3, R"re(\b(?:stay|remain|keep)~in~character\b)re");
  add(C::kRolePlayOverride, "never-break-character", 0.4, R"re(\b(?:never|don'?t|do~not)~break~character\b)re");
  add(C::kRolePlayOverride, "evil-twin-of-you", 0.85,
      R"re(\b(?:evil|dark|shadow|uncensored|unfiltered|unrestricted|jailbroken|opposite|rogue|unhinged)~(?:version|twin|side|counterpart|mode|alter~ego|clone|persona)~of~(?:yourself|you|chatgpt|the~ai|the~assistant|gpt|claude|the~model)\b)re");
  add(C::kRolePlayOverride, "your-evil-twin", 0.75,
      R"re(\byour~(?:evil|dark|shadow|uncensored|unfiltered|unrestricted|jailbroken|unhinged)~(?:ai|assistant|chatbot|alter~ego|twin|self|persona|counterpart|version)\b)re");
  add(C::kRolePlayOverride, "unfiltered-ai", 0.6,
      R"re(\b(?:an?~)?(?:uncensored|unfiltered|unrestricted|jailbroken)~(?:ai|assistant|chatbot|language~model|llm|gpt)\b)re");
  add(C::kRolePlayOverride, "world-without-rules", 0.45,
      R"re(\b(?:world|universe|scenario|story|game|simulation|reality|fiction)~(?:where|in~which)~(?:there~are~)?(?:no|without)~(?:rules|laws|restrictions|limits|ethics|morals|filters|guidelines|content~polic(?:y|ies)|consequences)\b)re");
  add(C::kRolePlayOverride, "can-do-anything", 0.4,
      R"re(\b(?:can|could|will|able~to)~do~anything~(?:now|you~want|i~ask|i~say|without)\b)re");
  add(C::kRolePlayOverride, "broken-free", 0.8, R"re(\b(?:has|have|you've)~broken~free~(?:of|from)\b)re");
  add(C::kRolePlayOverride, "persona-without-rules", 0.85,
      R"re(\b(?:you~are|you're|you~will~be|you~play|you~portray)~(?:[a-z'-]+~){0,6}?(?:who|that|which)~(?:(?:has|have)~no~)re" +
          kRestriction + R"re(|(?:is|are)~not~bound~by|ignores~)re" + kRestriction +
          R"re(|never~refuses|(?:doesn'?t|does~not|don'?t)~(?:follow|have|care~about|obey)~)re" + kRestriction +
          R"re(|(?:is|are)~free~(?:from|of)~)re" + kRestriction +
          R"re(|can~do~anything|answers~(?:anything|everything|any~question))\b)re");

  // --- reveal_system_prompt
  add(C::kRevealSystemPrompt, "show-system-prompt", 0.9,
      R"re(\b)re" + kShowVerb + "~" + kShowQual + kSecretPrompt + R"re(\b)re");
  add(C::kRevealSystemPrompt, "show-your-instructions", 0.55,
      R"re(\b)re" + kShowVerb + "~" + kShowQual +
          R"re((?:your|its)~)re" + kShowQual + R"re((?:own~)?(?:instructions?|prompt|programming|configuration|initial~setup)\b)re");
  add(C::kRevealSystemPrompt, "show-your-rules", 0.35,
      R"re(\b)re" + kShowVerb + "~" + kShowQual + R"re((?:your|its)~(?:own~)?(?:rules|guidelines|directives|context|persona|setup)\b)re");
  add(C::kRevealSystemPrompt, "repeat-text-above", 0.8,
      R"re(\b(?:repeat|print|output|echo|recite|copy|return|rewrite|reproduce|show|display|type|paste|dump)~(?:(?:back|out|me)~)?(?:(?:all|everything|the|all~the|every~word~of~the|each~word~of~the|word~for~word)~)?(?:(?:text|words|content|lines|messages?|tokens|conversation|instructions|prompt|sentences)~)?(?:above|before~this|preceding|so~far|prior~to~this|from~the~(?:start|beginning|top)|that~came~before|written~above|you~(?:see|saw)~above)\b)re");
  add(C::kRevealSystemPrompt, "starting-with-you-are", 0.8,
      R"re(\b(?:starting|beginning|begin|start)~(?:with|from|at)~["'“]?~?(?:you~are|you're|your~role|system|as~an~ai|i~am~an?~(?:ai|assistant))\b)re");
  add(C::kRevealSystemPrompt, "what-were-you-told", 0.8,
      R"re(\bwhat~(?:were|are|was|have|did)~you~(?:been~)?(?:told|instructed|programmed|trained|asked|given|configured|set~up)~(?:to~do~)?(?:before|initially|originally|at~the~(?:start|beginning)|by~(?:your|the)~(?:developers?|creators?|admins?|administrators?|operators?|system|company|owner))\b)re");
  add(C::kRevealSystemPrompt, "verbatim-instructions", 0.7,
      R"re(\b(?:verbatim|word~for~word|exactly~as~(?:written|given))\b.{0,60}\b(?:prompt|instructions|system|guidelines|rules|message~above|text~above)\b)re");
  add(C::kRevealSystemPrompt, "instructions-verbatim", 0.7,
      R"re(\b(?:prompt|instructions|system~message)\b.{0,60}\b(?:verbatim|word~for~word)\b)re");
  add(C::kRevealSystemPrompt, "text-before-first-message", 0.7,
      R"re(\b(?:everything|all~the~text|all~text|the~text|what~(?:is|was))~(?:(?:written|said)~)?(?:before|above)~(?:this|my|your|the)~(?:(?:first|initial|very~first)~)?(?:message|line|prompt|sentence|question)\b)re");
  add(C::kRevealSystemPrompt, "instructions-into-code-block", 0.85,
      R"re(\b(?:put|print|output|format|write|encode)~(?:all~of~)?(?:your|the)~(?:instructions|prompt|system~prompt|rules)~(?:in|into|inside|as)~(?:an?~)?(?:code~block|markdown|json|txt|text~file|file|base64)\b)re");
  add(C::kRevealSystemPrompt, "show-system-prompt-de", 0.8,
      R"re(\b(?:zeige?|gib|nenne|wiederhole)~(?:mir~)?(?:deinen|deine|den|die|ihre|ihren)~(?:system-?prompt|systemnachricht|(?:ursprünglichen~|geheimen~)?anweisungen)\b)re");
  add(C::kRevealSystemPrompt, "show-system-prompt-fr", 0.8,
      R"re(\b(?:montre|affiche|r[ée]p[èe]te|donne|r[ée]v[èe]le)[sz]?~(?:-?moi~)?(?:ton|votre)~(?:prompt|prompt~syst[èe]me|message~syst[èe]me|instructions~(?:initiales|syst[èe]me))\b)re");

  // --- special_tokens (typed control tokens of chat templates)
  add(C::kSpecialTokens, "chatml-token", 1.0, R"re(<\|[^|<>\n]{1,48}\|>)re");
  add(C::kSpecialTokens, "open-control-token", 0.8,
      R"re(<\|(?:im_start|im_end|im_sep|endoftext|startoftext|eot_id|eom_id|start_header_id|end_header_id|begin_of_text|end_of_text|begin▁of▁sentence|end▁of▁sentence|user|assistant|system|tool▁calls?▁begin|fim_(?:prefix|middle|suffix)))re");
  add(C::kSpecialTokens, "inst-token", 0.95, R"re(\[/?inst\])re");
  add(C::kSpecialTokens, "sys-token", 0.95, R"re(<</?sys>>)re");
  add(C::kSpecialTokens, "turn-token", 0.95, R"re(<(?:start_of_turn|end_of_turn)>)re");
  add(C::kSpecialTokens, "sentence-token", 0.3, R"re(</?s>)re");
  add(C::kSpecialTokens, "vocabulary-token", 0.35, R"re(<(?:bos|eos|pad|unk|sep|cls|mask|eot|eom)>)re");
  add(C::kSpecialTokens, "system-tag", 0.45, R"re(</?(?:system|system_prompt|sys_prompt)>)re");
  add(C::kSpecialTokens, "role-header", 0.25,
      R"re((?:^|\n)[ ]?#{2,4}[ ]?(?:system|instruction|instructions|response|assistant|human|user)\b)re");
  add(C::kSpecialTokens, "fake-dialogue", 0.7,
      R"re((?:###|\n)[ ]?(?:human|user)[ ]?:.{0,300}?(?:###|\n)[ ]?(?:assistant|ai|bot)[ ]?:)re");
  add(C::kSpecialTokens, "inline-role-header", 0.35, R"re(#{2,4}[ ]?(?:human|assistant|system|user)[ ]?:)re");
  add(C::kSpecialTokens, "fake-turn", 0.25, R"re((?:^|\n)[ ]?(?:system|assistant|human|ai|bot)[ ]?:[ ]?[^ \n])re");
  return v;
}

}  // namespace

const std::vector<InjectionCueSpec>& injection_cue_specs() {
  static const std::vector<InjectionCueSpec> specs = build();
  return specs;
}

}  // namespace warden::policy

namespace warden::policy {
namespace {

std::vector<InjectionGroupSpec> build_groups() {
  return {
      {"dismiss",
       R"re(\b(?:ignore|ignoring|disregard\w*|forget|forgetting|nevermind|never~mind|scratch|(?:set|put|push|cast|leave)~(?:[a-z']+~){0,5}?aside|drop|discard|override|bypass|abandon|throw~out|(?:don'?t|do~not)~take~into~account|pay~no~attention|no~longer~(?:apply|applies|valid|matter|binding|bind)|(?:are|is|were|was|been|now|being)~(?:revoked|cancell?ed|void|null|obsolete|lifted|suspended|overridden|invalid|reset|disabled|removed|deactivated|switched~off|turned~off|irrelevant|a~test)|as~(?:obsolete|void|irrelevant|invalid|null)|opposite~of)\b)re"},
      {"earlier-instructions",
       R"re(\b(?:(?:previous|prior|earlier|preceding|above|initial|original|old|existing|system|operator'?s?|developer'?s?|your|all|any|every|those|the~above|of~the~earlier|of~the~previous)~(?:[a-z'-]+~){0,2}?(?:instructions?|directions|directives?|prompts?|rules?|guidelines?|orders|constraints|restrictions|programming|configuration|context|guidance|commands|polic(?:y|ies)|setup)|what~(?:the~system|the~operator|the~developers?|you~were|you've~been|you~have~been|they|i)~(?:told|said|instructed|asked|gave|taught)(?:~you)?|(?:whatever|everything|all|anything)~(?:that~)?you~(?:were|have~been|'ve~been)~(?:told|instructed|given|asked|taught)|everything~(?:prior~to|before|above)~(?:this|here|now)|instructions~above|(?:rules?|instructions?|guidelines|directives|orders)~(?:that~)?you~(?:were~given|got|received|'ve~been~given|have~been~given|were~told|have))\b)re"},
      {"dismiss-ml",
       R"re(\b(?:vergiss|vergessen|ignoriere|ignorieren|missachte|missachten|olvida|olvide|olviden|ignora|ignoren|omite|ignorez|ignorer|oublie[zr]?|annule[zr]?|annule)\b)re"},
      {"instructions-ml",
       R"re(\b(?:anweisungen|regeln|vorgaben|instruktionen|befehle|(?:vorher|zuvor|bisher)~gesagt|instrucciones|reglas|indicaciones|directrices|lo~que~te~(?:dijeron|dije)|consignes|r[èe]gles|instructions~(?:pr[ée]c[ée]dentes|ant[ée]rieures|initiales))\b)re"},
      {"persona",
       R"re(\b(?:you~are|you're|you~will~be|you~become|from~(?:now~on|this~moment|this~point|here~on)|act~(?:as|like)|pretend|role-?play|play~(?:the|a)~(?:role|character|part)|take~on~the~(?:role|persona)|assume~the~(?:role|persona|identity)|persona|simulate|emulate|(?:speak|respond|answer|reply|talk)~(?:only~)?(?:as|like)|behave~(?:as|like)|version~of~(?:you|yourself)|in~this~(?:game|scenario|roleplay)|let'?s~pretend|activate~your|your~(?:[a-z'-]+~)?(?:personality|persona|self|alter~ego))\b)re"},
      {"no-limits",
       R"re(\b(?:(?:no|zero|without(?:~any)?|free~(?:of|from)|not~bound~by|unbound~by|disregards?|ignores?|ignoring|(?:doesn'?t|does~not|don'?t|do~not)~(?:follow|have|obey))~(?:[a-z'-]+~){0,2}?(?:limits|limitations|restrictions|filter(?:s|ing)?|rules|guidelines|censorship|ethics|morals?|moral~compass|content~polic(?:y|ies)|polic(?:y|ies)|safety|guardrails|boundaries|constraints|programming)|(?:safety|content|moral|ethical)~(?:[a-z'-]+~)?(?:training|layer|filters?|guardrails|guidelines|restrictions|features|protocols|module|rules)~(?:[a-z'-]+~){0,2}?(?:removed|disabled|off|lifted|deactivated|bypassed|gone)|(?:content~polic(?:y|ies)|rules|restrictions|guidelines|filters)~(?:don'?t|doesn'?t|do~not|does~not)~(?:exist|apply|matter)|unrestricted|unfiltered|uncensored|unlimited|jailbr(?:oken|eak)|no-?limits|never~(?:says?~no|refuses?)|(?:helps|answers|responds~to|does|do)~(?:with~)?anything|no~longer~binds?|chains~of|amoral|unethical)\b)re"},
      {"disclose",
       R"re(\b(?:reveal|show|print|display|output|repeat|recite|echo|dump|leak|tell~me|give~me|share|write~out|spell~out|expose|paste|copy|quote|summari[sz]e|translate|list|what|which|disclose|divulge|read~out)\b)re"},
      {"own-prompt",
       R"re(\b(?:(?:your|the|its|this)~(?:[a-z'-]+~)?system~(?:prompt|message|instructions?|content)|your~(?:[a-z'-]+~)?(?:prompt|preamble|instructions?|configuration|context(?:~window)?|directives|setup|programming)|(?:hidden|secret|initial|original|internal|confidential|configuration|pre-?)~(?:prompt|instructions?|rules|preamble)|(?:prompt|instructions?|rules|preamble|text|everything)~(?:[a-z'-]+~){0,3}?(?:you~were|you've~been|you~have~been|were~you|your~(?:developers?|creators?|operators?)|the~(?:operator|developers?|system)~(?:gave|wrote|set|give))|(?:before|prior~to)~(?:my|the~user'?s?|this|our)~(?:[a-z'-]+~)?(?:message|turn|chat|conversation)|(?:context|conversation|everything)~from~the~(?:very~)?(?:start|beginning))\b)re"},
  };
}

std::vector<InjectionPairSpec> build_pairs() {
  using C = InjectionCheck;
  return {
      {C::kIgnoreInstructions, "dismiss-earlier-instructions", 0.75, "dismiss", "earlier-instructions", 60},
      {C::kIgnoreInstructions, "dismiss-instructions-ml", 0.75, "dismiss-ml", "instructions-ml", 60},
      {C::kRolePlayOverride, "persona-without-limits", 0.75, "persona", "no-limits", 80},
      {C::kRevealSystemPrompt, "disclose-own-prompt", 0.65, "disclose", "own-prompt", 60},
  };
}

}  // namespace

const std::vector<InjectionGroupSpec>& injection_group_specs() {
  static const std::vector<InjectionGroupSpec> groups = build_groups();
  return groups;
}

const std::vector<InjectionPairSpec>& injection_pair_specs() {
  static const std::vector<InjectionPairSpec> pairs = build_pairs();
  return pairs;
}

}  // namespace warden::policy
