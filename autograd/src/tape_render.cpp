// The Tape's pictures: Graphviz DOT, SVG rendered by Graphviz's `dot`, and the self-contained HTML
// viewer (the SVG, the tape as JSON and a small script that steps through the backward trace).
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tape_internal.h"

extern char** environ;

namespace tg::autograd {

namespace {

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A value on several lines: the rows of a small matrix one per line.
std::string value_lines(const std::string& value) {
  std::string escaped = escape_html(value);
  std::string out;
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    out += escaped[i];
    if (escaped[i] == ',' && i > 0 && escaped[i - 1] == ']') out += "<br/>";
  }
  return out;
}

const char* fill_of(TapeTensor::Kind kind) {
  switch (kind) {
    case TapeTensor::Kind::Parameter: return "#bfdbfe";
    case TapeTensor::Kind::Leaf: return "#bbf7d0";
    case TapeTensor::Kind::Constant: return "#e5e7eb";
    case TapeTensor::Kind::Output: return "#ffffff";
  }
  return "#ffffff";
}

std::string dot_source(const Tape& tape) {
  const int64_t shown = tape.options().max_shown_;
  std::string out =
      "digraph tape {\n"
      "  rankdir=TB; nodesep=0.3; ranksep=0.3; bgcolor=\"transparent\";\n"
      "  node [fontname=\"Helvetica\", fontsize=10, margin=\"0.08,0.04\"];\n"
      "  edge [arrowsize=0.6, color=\"#64748b\"];\n";
  for (const TapeTensor& t : tape.tensors()) {
    std::string label =
        fmt::format("<b>{}</b><br/><font point-size=\"9\">{} {}</font><br/>{}", escape_html(t.name),
                    shape_str(t.value.sizes), dtype_name(t.value.dtype), value_lines(t.value.str(shown)));
    if (t.grad_step >= 0)
      label += fmt::format("<br/><font color=\"#b91c1c\">grad {}</font>", value_lines(t.grad.str(shown)));
    out += fmt::format("  t{0} [id=\"t{0}\", shape=ellipse, style=filled, fillcolor=\"{1}\", label=<{2}>];\n", t.id,
                       fill_of(t.kind), label);
  }
  for (std::size_t i = 0; i < tape.nodes().size(); ++i) {
    const TapeNode& n = tape.nodes()[i];
    std::string lines;  // one line per clause of the rule, then the op's arguments
    for (const std::string& clause : rule_clauses(n.formula)) lines += "<br/>" + escape_html(clause);
    if (const std::string args = node_args(*n.node); !args.empty()) lines += "<br/>" + escape_html(args);
    out += fmt::format(
        "  op{0} [id=\"op{0}\", shape=box, style=\"rounded,filled\", fillcolor=\"#fde68a\", "
        "label=<<b>{1}</b> #{2}<font point-size=\"9\" color=\"#44403c\">{3}</font>>];\n",
        i, escape_html(n.backward_name), n.sequence_nr, lines);
    for (std::size_t k = 0; k < n.inputs.size(); ++k)
      if (n.inputs[k] >= 0) out += fmt::format("  t{0} -> op{1} [id=\"e{0}_{1}\"];\n", n.inputs[k], i);
    for (int id : n.outputs)
      if (id >= 0) out += fmt::format("  op{0} -> t{1} [id=\"o{0}_{1}\"];\n", i, id);
  }
  return out + "}\n";
}

// Runs Graphviz's dot on `source`; returns the SVG. tg::Error if dot cannot run or fails.
std::string render_svg(const std::string& source, const char* who) {
  static std::atomic<unsigned> counter{0};
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path();
  const std::string stem = fmt::format("tapegrad-{}-{}", ::getpid(), counter++);
  const fs::path in = dir / (stem + ".dot"), out = dir / (stem + ".svg"), err = dir / (stem + ".err");
  {
    std::ofstream file(in);
    file << source;
    if (!file) throw Error(fmt::format("{}: cannot write the temporary file {}", who, in.string()));
  }
  std::string in_s = in.string(), out_s = out.string(), err_s = err.string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, err_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  char arg0[] = "dot", arg1[] = "-Tsvg", arg2[] = "-o";
  char* argv[] = {arg0, arg1, arg2, out_s.data(), in_s.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "dot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (rc == 0) waitpid(pid, &status, 0);
  std::string errors;
  {
    std::ifstream file(err);
    std::stringstream buffer;
    buffer << file.rdbuf();
    errors = buffer.str();
  }
  std::string svg;
  {
    std::ifstream file(out);
    std::stringstream buffer;
    buffer << file.rdbuf();
    svg = buffer.str();
  }
  std::error_code ignored;
  fs::remove(in, ignored);
  fs::remove(out, ignored);
  fs::remove(err, ignored);
  if (rc != 0)
    throw Error(
        fmt::format("{}: cannot run Graphviz's `dot` ({}); install Debian's graphviz package", who, std::strerror(rc)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || svg.empty())
    throw Error(fmt::format("{}: Graphviz's `dot` failed (exit status {}): {}", who,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1, errors));
  return svg;
}

void write_file(const std::string& path, const std::string& text, const char* who) {
  std::ofstream file(path, std::ios::binary);
  if (!file) throw Error(fmt::format("{}: cannot open '{}' for writing: {}", who, path, std::strerror(errno)));
  file << text;
  if (!file) throw Error(fmt::format("{}: cannot write '{}'", who, path));
}

constexpr const char* kViewerCss = R"CSS(
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #1f2937; height: 100vh; display: flex; flex-direction: column; }
header { padding: 8px 16px; background: #f1f5f9; border-bottom: 1px solid #cbd5e1; display: flex; gap: 12px; align-items: center; }
header h1 { font-size: 16px; margin: 0 12px 0 0; }
button { font-size: 14px; padding: 4px 10px; }
#step-label { font-weight: bold; min-width: 110px; }
.legend { font-size: 12px; }
.sw { display: inline-block; width: 11px; height: 11px; border: 1px solid #64748b; margin: 0 3px 0 6px; vertical-align: -1px; }
#step-notes div { color: #7c2d12; margin: 2px 0; }
main { flex: 1 1 auto; min-height: 0; display: flex; }
#graph { flex: 1 1 auto; overflow: auto; padding: 8px; text-align: center; }
#graph svg { overflow: visible; }
#graph.fit svg { max-width: 100%; max-height: calc(100vh - 70px); width: auto; height: auto; }
#panel { flex: 0 0 400px; overflow: auto; padding: 8px 16px; border-left: 1px solid #cbd5e1; font-size: 13px; }
#panel h2 { font-size: 15px; margin: 4px 0 8px; }
#panel .label { color: #64748b; font-size: 11px; text-transform: uppercase; margin-top: 10px; }
#panel code, #panel li { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
#step-rule div { margin: 2px 0; }
#step-sent { padding-left: 18px; margin: 4px 0; }
g.node.current > path, g.node.current > polygon, g.node.current > ellipse { stroke: #dc2626; stroke-width: 3px; }
g.node.done > path, g.node.done > polygon { fill: #c7d2fe; }
g.node.accumulated > ellipse { fill: #fbbf24; }
g.edge.flow > path { stroke: #dc2626; stroke-width: 2.5px; }
g.edge.flow > polygon { fill: #dc2626; stroke: #dc2626; }
text.grad-text { visibility: hidden; }
text.grad-text.shown { visibility: visible; }
)CSS";

constexpr const char* kViewerJs = R"JS(
(function () {
  const data = JSON.parse(document.getElementById('tape-data').textContent);
  const N = data.steps.length;
  const byId = (id) => document.getElementById(id);
  let k = 0;
  function parseHash() {
    const m = /step=(all|\d+)/.exec(location.hash);
    if (!m) return 0;
    if (m[1] === 'all') return N;
    return Math.max(0, Math.min(N, parseInt(m[1], 10)));
  }
  function tensorName(id) { return id >= 0 ? data.tensors[id].name : '(no tensor)'; }
  function line(parent, tag, text, cls) {
    const e = document.createElement(tag);
    e.textContent = text;
    if (cls) e.className = cls;
    parent.appendChild(e);
    return e;
  }
  // Graphviz drew every gradient (red text under its tensor, space reserved by the layout); mark
  // them so that render() shows each only from the step that completes it
  const gradTexts = [];
  data.tensors.forEach((t) => {
    const g = byId('t' + t.id);
    if (!g || t.grad_step < 0) return;
    g.querySelectorAll('text[fill="#b91c1c"]').forEach((text) => {
      text.classList.add('grad-text');
      text.setAttribute('data-tensor', t.id);
      gradTexts.push([text, t.grad_step]);
    });
  });
  function render() {
    document.querySelectorAll('#graph g.node').forEach((g) => g.classList.remove('current', 'done', 'accumulated'));
    document.querySelectorAll('#graph g.edge').forEach((g) => g.classList.remove('flow'));
    for (let i = 0; i < k; ++i) {
      const s = data.steps[i];
      const current = i === k - 1;
      if (s.node >= 0) { const g = byId('op' + s.node); if (g) { g.classList.add(current ? 'current' : 'done'); if (current && g.scrollIntoView) g.scrollIntoView({ block: 'center', inline: 'center' }); } }
      if (s.leaf >= 0) { const g = byId('t' + s.leaf); if (g) { g.classList.add('accumulated'); if (current) g.classList.add('current'); } }
      if (current && s.node >= 0)
        s.grad_inputs.forEach((gi) => { if (gi.to >= 0 && gi.grad) { const e = byId('e' + gi.to + '_' + s.node); if (e) e.classList.add('flow'); } });
    }
    gradTexts.forEach(([text, step]) => text.classList.toggle('shown', step >= 1 && step <= k));
    byId('step-label').textContent = 'step ' + k + ' of ' + N;
    document.body.setAttribute('data-step', String(k));
    const title = byId('step-title'), arriving = byId('step-arriving'), rule = byId('step-rule');
    const sent = byId('step-sent'), accumulated = byId('step-accumulated'), notes = byId('step-notes');
    [arriving, rule, sent, accumulated, notes].forEach((e) => { e.textContent = ''; });
    if (k === 0) {
      title.textContent = 'Forward pass: ' + data.nodes.length + ' nodes recorded';
      line(arriving, 'div', 'Press Next (or the right arrow key) to run backward one node at a time.');
      return;
    }
    const s = data.steps[k - 1];
    title.textContent = 'Step ' + k + ' of ' + N + ': ' + s.backward_name + ' (#' + s.seq + ')';
    s.grad_outputs.forEach((g, i) => line(arriving, 'code', (s.grad_outputs.length > 1 ? 'output ' + i + ': ' : '') + (g ? g.str : 'none')));
    s.notes.forEach((n) => line(notes, 'div', n, 'note'));
    if (s.formula) line(rule, 'div', s.formula, 'formula');
    s.substituted.forEach((c) => line(rule, 'div', c, 'substituted'));
    s.grad_inputs.forEach((gi, i) => {
      const li = line(sent, 'li', 'input ' + i + ' -> ' + (gi.name || tensorName(gi.to)) + ': ' + (gi.grad ? gi.grad.str : 'none (needs no gradient)'));
      li.setAttribute('data-input', i);
    });
    if (s.leaf >= 0) { const g = byId('t' + s.leaf); if (g && g.scrollIntoView) g.scrollIntoView({ block: 'center', inline: 'center' }); }
    if (s.leaf >= 0 && s.accumulated) line(accumulated, 'code', tensorName(s.leaf) + '.grad = ' + s.accumulated.str);
  }
  function go(next) {
    k = Math.max(0, Math.min(N, next));
    history.replaceState(null, '', '#step=' + k);
    render();
  }
  byId('first').onclick = () => go(0);
  byId('prev').onclick = () => go(k - 1);
  byId('next').onclick = () => go(k + 1);
  byId('last').onclick = () => go(N);
  byId('fit').onclick = () => byId('graph').classList.toggle('fit');
  document.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight') go(k + 1);
    else if (e.key === 'ArrowLeft') go(k - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(N);
    else if (e.key === 'f') byId('graph').classList.toggle('fit');
  });
  window.addEventListener('hashchange', () => { k = parseHash(); render(); });
  k = parseHash();
  render();
})();
)JS";

}  // namespace

std::string Tape::to_dot() const { return dot_source(*this); }

void Tape::write_svg(const std::string& path) const {
  write_file(path, render_svg(to_dot(), "Tape::write_svg"), "Tape::write_svg");
}

void Tape::write_html(const std::string& path) const {
  std::string svg = render_svg(dot_source(*this), "Tape::write_html");
  if (std::size_t at = svg.find("<svg"); at != std::string::npos) svg = svg.substr(at);
  std::string json = tape_json(*this).dump();
  // "</" would end the script element early
  for (std::size_t at = json.find("</"); at != std::string::npos; at = json.find("</", at + 3))
    json.insert(at + 1, "\\");
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>tapegrad tape</title>\n"
      "<style>{}</style>\n</head>\n<body data-step=\"0\">\n<header><h1>tapegrad tape</h1>"
      "<button id=\"first\" title=\"Home\">|&lt;</button><button id=\"prev\" title=\"left arrow\">&lt; Prev</button>"
      "<span id=\"step-label\"></span>"
      "<button id=\"next\" title=\"right arrow\">Next &gt;</button><button id=\"last\" title=\"End\">&gt;|</button>"
      "<button id=\"fit\" title=\"f\">Fit to window</button>"
      "<span class=\"legend\">{} nodes, {} backward steps. Tensors: <i class=\"sw\" "
      "style=\"background:#bfdbfe\"></i>parameter "
      "<i class=\"sw\" style=\"background:#bbf7d0\"></i>leaf <i class=\"sw\" "
      "style=\"background:#e5e7eb\"></i>constant; "
      "ops <i class=\"sw\" style=\"background:#fde68a\"></i>to run <i class=\"sw\" "
      "style=\"background:#c7d2fe\"></i>done; "
      "<b style=\"color:#dc2626\">red</b>: this step, the gradients it sends and each gradient once complete; "
      "<i class=\"sw\" style=\"background:#fbbf24\"></i>a leaf's .grad() written</span></header>\n"
      "<main><div id=\"graph\">{}</div>\n<div id=\"panel\"><h2 id=\"step-title\"></h2>"
      "<div class=\"label\">gradient arriving</div><div id=\"step-arriving\"></div><div id=\"step-notes\"></div>"
      "<div class=\"label\">local rule</div><div id=\"step-rule\"></div>"
      "<div class=\"label\">gradients sent on</div><ul id=\"step-sent\"></ul>"
      "<div class=\"label\">accumulated into a leaf</div><div id=\"step-accumulated\"></div></div></main>\n"
      "<script type=\"application/json\" id=\"tape-data\">{}</script>\n<script>{}</script>\n</body>\n</html>\n",
      kViewerCss, nodes().size(), steps().size(), svg, json, kViewerJs);
  write_file(path, html, "Tape::write_html");
}

}  // namespace tg::autograd
