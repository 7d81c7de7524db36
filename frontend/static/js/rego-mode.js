// A Rego mode for CodeMirror 5, on its simple-mode addon: keywords, built-in references,
// strings (including raw strings), numbers, comments, rule heads.
(function () {
  "use strict";
  CodeMirror.defineSimpleMode("rego", {
    start: [
      { regex: /#.*/, token: "comment" },
      { regex: /"(?:[^\\"]|\\.)*?(?:"|$)/, token: "string" },
      { regex: /`[^`]*`/, token: "string" },
      { regex: /\b(?:package|import|default|else|not|some|every|in|if|contains|with|as)\b/, token: "keyword" },
      { regex: /\b(?:true|false|null)\b/, token: "atom" },
      { regex: /\b(?:input|data)\b/, token: "variable-2" },
      { regex: /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b/, token: "number" },
      { regex: /^[a-z_][A-Za-z0-9_]*(?=\s*(?:\[|\(|:=|=|if|contains|\{))/, token: "def", sol: true },
      { regex: /[a-z_][A-Za-z0-9_]*(?=\()/, token: "builtin" },
      { regex: /:=|==|!=|<=|>=|[<>=|&+\-*\/%]/, token: "operator" },
      { regex: /[\{\[\(]/, indent: true },
      { regex: /[\}\]\)]/, dedent: true },
      { regex: /[A-Za-z_][A-Za-z0-9_]*/, token: "variable" }
    ],
    meta: { lineComment: "#", dontIndentStates: ["comment"] }
  });
})();
