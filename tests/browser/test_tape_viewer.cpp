// The HTML tape viewer in a real browser: Tape::write_html's file is opened by headless Chromium
// (Debian's chromium package) at several #step=K; the DOM Chromium dumps after the page's script
// ran must show the right node highlighted and the right numbers. Screenshots are kept in the
// build tree (tests/browser/artifacts) for a person to look at.
#include <gtest/gtest.h>
#include <tapegrad/tapegrad.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <unistd.h>

namespace fs = std::filesystem;
namespace nn = tg::nn;
using tg::Tensor;
using tg::autograd::Tape;

namespace {

const std::string kChromium = TG_CHROMIUM;
const fs::path kArtifacts = TG_BROWSER_ARTIFACTS;

std::string quote(const std::string& s) { return "'" + std::regex_replace(s, std::regex("'"), "'\\''") + "'"; }

// ctest runs the tests of this program in parallel processes: each gets its own Chromium profile
// (two Chromiums cannot share one).
std::string chromium_args() {
  return " --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-dev-shm-usage"
         " --user-data-dir=" +
         quote((kArtifacts / ("chromium-profile-" + std::to_string(::getpid()))).string());
}

void require_chromium() {
  ASSERT_FALSE(kChromium.empty()) << "chromium was not found when tapegrad was configured: install Debian's "
                                     "chromium package (the README's test command does) and re-run cmake";
}

// The page's DOM after its scripts ran, as Chromium serialises it.
std::string dump_dom(const std::string& url) {
  std::string command =
      "timeout 120 " + quote(kChromium) + chromium_args() + " --dump-dom " + quote(url) + " 2>/dev/null";
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[65536];
    std::size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    int status = pclose(pipe);
    EXPECT_EQ(status, 0) << command;
  }
  return out;
}

// The opening tag of the element with id `id` ("" if absent).
std::string tag_of(const std::string& dom, const std::string& id) {
  std::size_t at = dom.find(" id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  std::size_t start = dom.rfind('<', at), end = dom.find('>', at);
  return dom.substr(start, end - start + 1);
}

std::vector<std::string> classes_of(const std::string& dom, const std::string& id) {
  std::smatch m;
  std::string tag = tag_of(dom, id);
  std::vector<std::string> out;
  if (!std::regex_search(tag, m, std::regex("class=\"([^\"]*)\""))) return out;
  std::istringstream words(m[1].str());
  for (std::string w; words >> w;) out.push_back(w);
  return out;
}

bool has_class(const std::string& dom, const std::string& id, const std::string& cls) {
  auto classes = classes_of(dom, id);
  return std::find(classes.begin(), classes.end(), cls) != classes.end();
}

// The text of the element with id `id`, tags removed.
std::string text_of(const std::string& dom, const std::string& id) {
  std::size_t at = dom.find(" id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  std::size_t open = dom.find('>', at) + 1;
  std::string name = dom.substr(dom.rfind('<', at) + 1);
  name = name.substr(0, name.find_first_of(" >"));
  int depth = 1;
  std::size_t i = open;
  while (depth > 0 && i < dom.size()) {
    std::size_t next = dom.find('<', i);
    if (next == std::string::npos) break;
    if (dom.compare(next, 2 + name.size(), "</" + name) == 0)
      --depth;
    else if (dom.compare(next, 1 + name.size(), "<" + name) == 0)
      ++depth;
    i = next + 1;
  }
  std::string inner = dom.substr(open, i - 1 - open);
  return std::regex_replace(inner, std::regex("<[^>]*>"), " ");
}

std::vector<double> numbers_in(const std::string& text) {
  std::vector<double> out;
  std::regex number(R"((-?\d+(\.\d+)?(e[-+]?\d+)?))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it)
    out.push_back(std::stod((*it)[1].str()));
  return out;
}

// The documents' 2 -> 3 sigmoid -> 1 network (seed 004), as examples/tape_tour.
struct NetImpl : nn::Module {
  NetImpl()
      : hidden(register_module("hidden", nn::Linear(2, 3))), output(register_module("output", nn::Linear(3, 1))) {}
  Tensor forward(const Tensor& x) { return tg::sigmoid(output(tg::sigmoid(hidden(x)))); }
  nn::Linear hidden, output;
};
TG_MODULE(Net);

struct Viewer : ::testing::Test {
  Net net;
  Tape tape;
  std::string url;
  void SetUp() override {
    tg::manual_seed(3);
    net->to(tg::kFloat64);
    tape.watch(net);
    Tensor x = tg::tensor({{0.05, 0.10}}, tg::kFloat64);
    tape.watch(x, "x");
    Tensor loss = 0.5 * (net->forward(x) - 1.0).pow(2).sum();
    tape.backward(loss);
    fs::create_directories(kArtifacts);
    const fs::path page = kArtifacts / ("tape_viewer_" + std::to_string(::getpid()) + ".html");
    tape.write_html(page.string());
    url = "file://" + fs::absolute(page).string();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(kArtifacts / ("chromium-profile-" + std::to_string(::getpid())), ignored);
    fs::remove(kArtifacts / ("tape_viewer_" + std::to_string(::getpid()) + ".html"), ignored);
  }
  int step_of_node(const std::string& backward_name, int nth = 0) {
    for (const auto& s : tape.steps())
      if (s.backward_name == backward_name && nth-- == 0) return s.index;
    return -1;
  }
  int step_of_leaf(const std::string& name) {
    for (const auto& s : tape.steps())
      if (s.leaf_name == name) return s.index;
    return -1;
  }
};

}  // namespace

TEST_F(Viewer, OpensBeforeBackwardWithNothingHighlighted) {
  require_chromium();
  const std::string dom = dump_dom(url + "#step=0");
  ASSERT_NE(dom.find("<svg"), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("data-step=\"0\""), std::string::npos);
  EXPECT_NE(text_of(dom, "step-title").find("Forward pass: " + std::to_string(tape.nodes().size()) + " nodes"),
            std::string::npos);
  for (std::size_t i = 0; i < tape.nodes().size(); ++i) {
    EXPECT_FALSE(has_class(dom, "op" + std::to_string(i), "current"));
    EXPECT_FALSE(has_class(dom, "op" + std::to_string(i), "done"));
  }
  // the gradients are drawn (Graphviz reserved their place) but none is shown yet
  EXPECT_NE(dom.find("grad-text"), std::string::npos);
  EXPECT_EQ(dom.find("grad-text shown"), std::string::npos);
  // the forward values are drawn: hidden.weight's first entry as the tape recorded it
  EXPECT_NE(dom.find(">hidden.weight</text>"), std::string::npos);
}

TEST_F(Viewer, StepKHighlightsThatNodeAndShowsItsNumbers) {
  require_chromium();
  // the output sigmoid: the second node processed after the loss's own ops
  const int k = step_of_node("SigmoidBackward0");
  ASSERT_GT(k, 0);
  const auto& step = tape.step(k);
  const std::string dom = dump_dom(url + "#step=" + std::to_string(k));
  EXPECT_NE(dom.find("data-step=\"" + std::to_string(k) + "\""), std::string::npos);
  const std::string op = "op" + std::to_string(step.node);
  EXPECT_TRUE(has_class(dom, op, "current")) << tag_of(dom, op);
  // exactly one op is current; those processed before are done, those after are neither
  for (const auto& s : tape.steps()) {
    if (s.node < 0) continue;
    const std::string id = "op" + std::to_string(s.node);
    EXPECT_EQ(has_class(dom, id, "current"), s.index == k) << id;
    EXPECT_EQ(has_class(dom, id, "done"), s.index < k) << id;
  }
  EXPECT_NE(text_of(dom, "step-title")
                .find("Step " + std::to_string(k) + " of " + std::to_string(tape.steps().size()) +
                      ": SigmoidBackward0 (#" + std::to_string(step.sequence_nr) + ")"),
            std::string::npos)
      << text_of(dom, "step-title");
  // the numbers: what arrived, and what was sent = arrived * y (1 - y), computed here from the
  // forward value of the sigmoid's output
  const double y = tape.tensors()[tape.nodes()[step.node].outputs[0]].value.value.item<double>();
  const double arrived = y - 1.0;  // d/dy 0.5 (y - 1)^2
  auto shown_arrived = numbers_in(text_of(dom, "step-arriving"));
  ASSERT_EQ(shown_arrived.size(), 1u) << text_of(dom, "step-arriving");
  EXPECT_NEAR(shown_arrived[0], arrived, 1e-3 * std::abs(arrived));
  auto sent = numbers_in(text_of(dom, "step-sent"));
  ASSERT_FALSE(sent.empty()) << text_of(dom, "step-sent");
  EXPECT_NEAR(sent.back(), arrived * y * (1 - y), 1e-3 * std::abs(arrived * y * (1 - y)));
  // the rule, with the numbers put in
  const std::string rule = text_of(dom, "step-rule");
  EXPECT_NE(rule.find("grad_self = grad * result * (1 - result)"), std::string::npos) << rule;
  EXPECT_NE(rule.find(tape.tensors()[tape.nodes()[step.node].outputs[0]].value.str()), std::string::npos) << rule;
  // the edge that carries the gradient back is lit
  const int input = tape.nodes()[step.node].inputs[0];
  EXPECT_TRUE(has_class(dom, "e" + std::to_string(input) + "_" + std::to_string(step.node), "flow"));
  // screenshots for a person
  for (const std::string& at : {std::to_string(k), std::string("0"), std::string("all")}) {
    const fs::path png = kArtifacts / ("tape_viewer_step_" + at + ".png");
    fs::remove(png);
    std::string command = "timeout 120 " + quote(kChromium) + chromium_args() + " --window-size=1400,900" +
                          " --screenshot=" + quote(png.string()) + " " + quote(url + "#step=" + at) +
                          " >/dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    ASSERT_TRUE(fs::exists(png));
    std::ifstream file(png, std::ios::binary);
    char magic[4] = {};
    file.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");
    EXPECT_GT(fs::file_size(png), 20000u);  // a drawn page, not a blank one
  }
}

TEST_F(Viewer, LeavesLightUpAsTheyAccumulate) {
  require_chromium();
  const int k = step_of_leaf("output.bias");
  ASSERT_GT(k, 0);
  const int leaf = tape.step(k).leaf;
  const std::string id = "t" + std::to_string(leaf);
  const std::string before = dump_dom(url + "#step=" + std::to_string(k - 1));
  EXPECT_FALSE(has_class(before, id, "accumulated")) << tag_of(before, id);
  const std::string at = dump_dom(url + "#step=" + std::to_string(k));
  EXPECT_TRUE(has_class(at, id, "accumulated")) << tag_of(at, id);
  EXPECT_TRUE(has_class(at, id, "current"));
  // the panel says what accumulated, with the number PyTorch-style backward put in .grad()
  const double grad = net->output->bias.grad().item<double>();
  const std::string accumulated = text_of(at, "step-accumulated");
  EXPECT_NE(accumulated.find("output.bias.grad = "), std::string::npos) << accumulated;
  auto shown = numbers_in(accumulated.substr(accumulated.find('=')));
  ASSERT_EQ(shown.size(), 1u) << accumulated;
  EXPECT_NEAR(shown[0], grad, 1e-3 * std::abs(grad));
  // and the leaf's gradient, drawn under it, appears at that step
  const std::regex grad_shown("<text[^>]*class=\"grad-text shown\"[^>]*data-tensor=\"" + std::to_string(leaf) + "\"");
  EXPECT_FALSE(std::regex_search(before, grad_shown));
  EXPECT_TRUE(std::regex_search(at, grad_shown)) << tag_of(at, id);
}

TEST_F(Viewer, StepAllShowsEveryGradient) {
  require_chromium();
  const std::string dom = dump_dom(url + "#step=all");
  const std::size_t n = tape.steps().size();
  EXPECT_NE(dom.find("data-step=\"" + std::to_string(n) + "\""), std::string::npos);
  for (const char* name : {"hidden.weight", "hidden.bias", "output.weight", "output.bias"}) {
    const int k = step_of_leaf(name);
    ASSERT_GT(k, 0) << name;
    EXPECT_TRUE(has_class(dom, "t" + std::to_string(tape.step(k).leaf), "accumulated")) << name;
  }
  // a step number past the end is clamped to the end
  const std::string past = dump_dom(url + "#step=" + std::to_string(n + 50));
  EXPECT_NE(past.find("data-step=\"" + std::to_string(n) + "\""), std::string::npos);
}

// The controls, clicked: a harness page loads the viewer in an iframe and clicks its buttons and
// presses its keys (file pages may script each other with --allow-file-access-from-files); after
// each action it logs the step the viewer shows and the address it moved to.
TEST_F(Viewer, ButtonsAndKeysStepOneNodeAtATime) {
  require_chromium();
  const fs::path harness = kArtifacts / ("tape_viewer_harness_" + std::to_string(::getpid()) + ".html");
  const std::string page = "tape_viewer_" + std::to_string(::getpid()) + ".html";
  {
    std::ofstream out(harness);
    out << "<!DOCTYPE html><html><body><iframe id=\"v\" src=\"" << page
        << "#step=2\" width=\"1200\" height=\"800\"></iframe><script>\n"
           "const f = document.getElementById('v');\n"
           "f.addEventListener('load', () => {\n"
           "  const d = f.contentDocument, w = f.contentWindow, log = [];\n"
           "  const state = () => log.push(d.body.getAttribute('data-step') + w.location.hash);\n"
           "  const click = (id) => { d.getElementById(id).click(); state(); };\n"
           "  const key = (k) => { d.dispatchEvent(new KeyboardEvent('keydown', {key: k})); state(); };\n"
           "  state(); click('next'); click('next'); click('prev'); key('End'); click('first'); key('ArrowRight');\n"
           "  click('last'); click('next'); key('Home'); click('prev');\n"
           "  document.body.setAttribute('data-log', log.join(' '));\n"
           "});\n</script></body></html>\n";
  }
  std::string command = "timeout 120 " + quote(kChromium) + chromium_args() +
                        " --allow-file-access-from-files --dump-dom " +
                        quote("file://" + fs::absolute(harness).string()) + " 2>/dev/null";
  std::string dom;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) dom.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0);
  }
  std::error_code ignored;
  fs::remove(harness, ignored);
  const std::string n = std::to_string(tape.steps().size());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("data-log=\"([^\"]*)\""))) << dom.substr(0, 500);
  // start at 2; Next, Next, Prev; End; |<; right arrow; >|; Next at the end stays; Home; Prev at 0 stays
  EXPECT_EQ(m[1].str(), "2#step=2 3#step=3 4#step=4 3#step=3 " + n + "#step=" + n + " 0#step=0 1#step=1 " + n +
                            "#step=" + n + " " + n + "#step=" + n + " 0#step=0 0#step=0");
}
