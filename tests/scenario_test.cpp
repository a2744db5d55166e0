#include "kernel/scenario.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

using namespace pxc;

namespace {

// The example of design.md, "Scenario files".
const std::string design_example = R"(description = "ww_mutex AB-BA cycle from the PROXY_WAKING commit"
baseline = "v7.1"
features = []
cpus = 2

[[lock]]
name = "M1"
type = "ww_mutex"
ww_class = "wound_wait"

[[lock]]
name = "M2"
type = "ww_mutex"
ww_class = "wound_wait"

[[task]]
name = "A"
affinity = [0]
cpu = 0
program = ["ww_acquire_init", "lock M1", "lock M2", "unlock M2", "unlock M1", "ww_acquire_fini"]

[[task]]
name = "B"
affinity = [1]
cpu = 1
program = ["ww_acquire_init", "lock M2", "lock M1", "unlock M1", "unlock M2", "ww_acquire_fini"]

[[expect]]
features = []
holds = ["no_affinity_violating_run", "no_kernel_warning"]

[[expect]]
features = ["-proxy_waking"]
violated = ["no_affinity_violating_run"]
counterexample = "counterexamples/pre-proxy-waking-affinity.trace"
)";

// One lock M, and task A on line 6 whose program is `program` (on line 7).
std::string with_program(const std::string& program)
{
    return "cpus = 2\n"
           "[[lock]]\n"
           "name = \"M\"\n"
           "\n"
           "[[task]]\n"
           "name = \"A\"\n"
           "program = " + program + "\n";
}

// The Error that parsing `text` throws; fails the test if it parses.
Error error_of(const std::string& text)
{
    try {
        parse_scenario(text, "bad.toml");
    } catch (const Error& e) {
        return e;
    }
    throw std::logic_error("scenario was accepted:\n" + text);
}

bool mentions(const Error& e, const std::string& what)
{
    INFO("message: ", e.message());
    return e.message().find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("the design.md example parses into its locks, tasks and expectations")
{
    Scenario s = parse_scenario(design_example, "models/abba.toml");
    CHECK(s.file == "models/abba.toml");
    CHECK(s.description == "ww_mutex AB-BA cycle from the PROXY_WAKING commit");
    CHECK(s.baseline == "v7.1");
    CHECK(s.features.empty());
    CHECK(s.cpus == 2);

    REQUIRE(s.locks.size() == 2);
    CHECK(s.locks[0].name == "M1");
    CHECK(s.locks[0].type == LockType::ww_mutex);
    CHECK(s.locks[0].ww_class == WwClass::wound_wait);
    CHECK(s.locks[0].line == 6);
    CHECK(s.locks[1].name == "M2");

    REQUIRE(s.tasks.size() == 2);
    const TaskDecl& b = s.tasks[1];
    CHECK(b.name == "B");
    CHECK(b.affinity == 0b10u);
    CHECK(b.cpu == 1);
    CHECK(b.line == 22);
    REQUIRE(b.program.size() == 6);
    CHECK(b.program[0].kind == OpKind::ww_acquire_init);
    CHECK(b.program[1].kind == OpKind::lock);
    CHECK(b.program[1].lock == 1);
    CHECK(b.program[1].text == "lock M2");
    CHECK(b.program[1].line == 26);
    CHECK(b.program[3].kind == OpKind::unlock);
    CHECK(b.program[3].lock == 0);
    CHECK(b.program[5].kind == OpKind::ww_acquire_fini);

    REQUIRE(s.expects.size() == 2);
    CHECK(s.expects[0].holds == std::vector<std::string>{"no_affinity_violating_run", "no_kernel_warning"});
    CHECK(s.expects[0].line == 28);
    CHECK(s.expects[1].features == std::vector<std::string>{"-proxy_waking"});
    CHECK(s.expects[1].violated == std::vector<std::string>{"no_affinity_violating_run"});
    CHECK(s.expects[1].counterexample == "counterexamples/pre-proxy-waking-affinity.trace");
}

TEST_CASE("the feature set is the baseline, then the file's edits, then the extra edits")
{
    Scenario s = parse_scenario(design_example, "abba.toml");
    CHECK(s.feature_set() == baseline_features("v7.1", {}));
    FeatureSet without = s.feature_set(s.expects[1].features);
    CHECK(!without.has(Feature::proxy_waking));
    CHECK(without.has(Feature::proxy_migration));

    Scenario old = parse_scenario("baseline = \"v6.17\"\nfeatures = [\"-proxy_exec\"]\ncpus = 1\n"
                                  "[[task]]\nname = \"A\"\nprogram = [\"yield\"]\n",
                                  "old.toml");
    CHECK(old.feature_set().bits() == 0);
    CHECK(old.feature_set({"+proxy_exec"}).has(Feature::proxy_exec));
}

TEST_CASE("defaults: no baseline, plain mutex, every cpu, the lowest cpu of the affinity")
{
    Scenario s = parse_scenario("cpus = 3\n[[lock]]\nname = \"M\"\n"
                                "[[task]]\nname = \"A\"\nprogram = [\"lock M\", \"unlock M\"]\n"
                                "[[task]]\nname = \"B\"\naffinity = [2, 1]\nprogram = [\"yield\"]\n",
                                "d.toml");
    CHECK(s.baseline.empty());
    CHECK(s.feature_set() == baseline_features(newest_baseline, {}));
    CHECK(s.locks[0].type == LockType::mutex);
    CHECK(s.locks[0].ww_class == WwClass::none);
    CHECK(s.tasks[0].affinity == 0b111u);
    CHECK(s.tasks[0].cpu == 0);
    CHECK(s.tasks[1].affinity == 0b110u);
    CHECK(s.tasks[1].cpu == 1);
}

TEST_CASE("program operations tolerate whitespace and both set_affinity spellings")
{
    Scenario s = parse_scenario(with_program(R"(["  lock   M ", "set_affinity [0, 1]", "set_affinity 1",
    "unlock M", "yield", "repeat"])"), "ops.toml");
    const auto& p = s.tasks[0].program;
    REQUIRE(p.size() == 6);
    CHECK(p[0].kind == OpKind::lock);
    CHECK(p[0].text == "  lock   M ");
    CHECK(p[1].cpus == 0b11u);
    CHECK(p[2].cpus == 0b10u);
    CHECK(p[3].line == 8);
    CHECK(p[4].kind == OpKind::yield);
    CHECK(p[5].kind == OpKind::repeat);
}

TEST_CASE("a ww_mutex may be locked outside an acquire context")
{
    Scenario s = parse_scenario("cpus = 1\n[[lock]]\nname = \"W\"\ntype = \"ww_mutex\"\nww_class = \"wait_die\"\n"
                                "[[task]]\nname = \"A\"\nprogram = [\"lock W\", \"unlock W\"]\n",
                                "w.toml");
    CHECK(s.locks[0].ww_class == WwClass::wait_die);
    CHECK(s.tasks[0].program[0].lock == 0);
}

TEST_CASE("an unknown key is rejected at its own line")
{
    Error top = error_of("cpus = 1\ncolour = \"red\"\n[[task]]\nname = \"A\"\nprogram = [\"yield\"]\n");
    CHECK(top.where().file == "bad.toml");
    CHECK(top.where().line == 2);
    CHECK(mentions(top, "unknown key 'colour'"));

    Error in_task = error_of(with_program("[\"yield\"]") + "priority = 3\n");
    CHECK(in_task.where().line == 8);
    CHECK(mentions(in_task, "unknown key 'priority'"));

    Error in_lock = error_of("cpus = 1\n[[lock]]\nname = \"M\"\nkind = \"mutex\"\n");
    CHECK(in_lock.where().line == 4);
    CHECK(mentions(in_lock, "unknown key 'kind'"));

    Error in_expect = error_of(with_program("[\"yield\"]") + "[[expect]]\nholds = [\"p\"]\nfails = [\"q\"]\n");
    CHECK(in_expect.where().line == 10);
    CHECK(mentions(in_expect, "unknown key 'fails'"));
}

TEST_CASE("a program that names an undeclared lock is rejected")
{
    Error e = error_of(with_program("[\"lock M\",\n  \"unlock N\"]"));
    CHECK(e.where().line == 8);
    CHECK(mentions(e, "unknown lock 'N'"));
}

TEST_CASE("an unknown operation is rejected")
{
    Error e = error_of(with_program("[\"lock M\", \"trylock M\"]"));
    CHECK(e.where().line == 7);
    CHECK(mentions(e, "unknown operation 'trylock M'"));
    CHECK(mentions(error_of(with_program("[\"yield 2\"]")), "unknown operation 'yield 2'"));
}

TEST_CASE("cpus out of range are rejected in cpus, affinity, cpu and set_affinity")
{
    Error count = error_of("cpus = 9\n[[task]]\nname = \"A\"\nprogram = [\"yield\"]\n");
    CHECK(count.where().line == 1);
    CHECK(mentions(count, "cpus must be between 1 and 8"));

    Error affinity = error_of("cpus = 2\n[[task]]\nname = \"A\"\naffinity = [0,\n 2]\nprogram = [\"yield\"]\n");
    CHECK(affinity.where().line == 5);
    CHECK(mentions(affinity, "cpu 2 out of range"));

    Error cpu = error_of("cpus = 2\n[[task]]\nname = \"A\"\ncpu = -1\nprogram = [\"yield\"]\n");
    CHECK(cpu.where().line == 4);
    CHECK(mentions(cpu, "cpu -1 out of range"));

    Error op = error_of(with_program("[\"set_affinity [0, 5]\"]"));
    CHECK(op.where().line == 7);
    CHECK(mentions(op, "cpu 5 out of range"));

    CHECK(mentions(error_of(with_program("[\"set_affinity []\"]")), "set_affinity needs at least one cpu"));
    CHECK(mentions(error_of(with_program("[\"set_affinity [0, x]\"]")), "'x' is not a cpu number"));
}

TEST_CASE("an empty affinity is rejected")
{
    Error e = error_of("cpus = 2\n[[task]]\nname = \"A\"\naffinity = []\nprogram = [\"yield\"]\n");
    CHECK(e.where().line == 4);
    CHECK(mentions(e, "affinity must name at least one cpu"));
    CHECK(mentions(error_of("cpus = 2\n[[task]]\nname = \"A\"\naffinity = [1, 1]\nprogram = [\"yield\"]\n"),
                   "cpu 1 listed twice"));
}

TEST_CASE("the starting cpu must be inside the task's affinity")
{
    Error e = error_of("cpus = 2\n[[task]]\nname = \"A\"\naffinity = [0]\ncpu = 1\nprogram = [\"yield\"]\n");
    CHECK(e.where().line == 5);
    CHECK(mentions(e, "cpu 1 is not in the affinity of task A"));
}

TEST_CASE("a name is used by one lock or task only")
{
    Error tasks = error_of(with_program("[\"yield\"]") + "[[task]]\nname = \"A\"\nprogram = [\"yield\"]\n");
    CHECK(tasks.where().line == 9);
    CHECK(mentions(tasks, "duplicate name 'A'"));

    Error mixed = error_of(with_program("[\"yield\"]") + "[[task]]\nname = \"M\"\nprogram = [\"yield\"]\n");
    CHECK(mixed.where().line == 9);
    CHECK(mentions(mixed, "duplicate name 'M' (first declared at line 3)"));
}

TEST_CASE("a value of the wrong type is an error, not a crash")
{
    Error cpus = error_of("cpus = \"two\"\n");
    CHECK(cpus.where().line == 1);
    CHECK(mentions(cpus, "cpus must be an integer"));

    CHECK(error_of(with_program("\"lock M\"")).where().line == 7);
    CHECK(mentions(error_of(with_program("\"lock M\"")), "program must be an array"));
    CHECK(mentions(error_of(with_program("[1, 2]")), "each program operation must be a string"));
    CHECK(mentions(error_of("cpus = 1\ntask = 3\n"), "task must be an array"));
    CHECK(mentions(error_of("cpus = 1\ntask = [1]\n"), "task must be an array of tables"));
    CHECK(mentions(error_of("cpus = 1\n[[task]]\nname = 7\n"), "name must be a string"));
    CHECK(mentions(error_of("cpus = 1.0\n"), "cpus must be an integer"));
}

TEST_CASE("lock type and ww_class are checked against each other")
{
    Error type = error_of("cpus = 1\n[[lock]]\nname = \"M\"\ntype = \"spinlock\"\n");
    CHECK(type.where().line == 4);
    CHECK(mentions(type, "\"spinlock\""));

    Error stray = error_of("cpus = 1\n[[lock]]\nname = \"M\"\nww_class = \"wait_die\"\n");
    CHECK(stray.where().line == 4);
    CHECK(mentions(stray, "ww_class is only allowed"));

    Error missing = error_of("cpus = 1\n[[lock]]\nname = \"W\"\ntype = \"ww_mutex\"\n");
    CHECK(missing.where().line == 2);
    CHECK(mentions(missing, "ww_class is required for ww_mutex W"));
}

TEST_CASE("a task may not unlock a lock it does not hold, nor take one twice")
{
    Error unheld = error_of(with_program("[\"yield\",\n \"unlock M\"]"));
    CHECK(unheld.where().line == 8);
    CHECK(mentions(unheld, "task A unlocks M, which it does not hold"));

    Error twice = error_of(with_program("[\"lock M\", \"lock M\"]"));
    CHECK(twice.where().line == 7);
    CHECK(mentions(twice, "recursive locking"));
}

TEST_CASE("a task may not end or repeat while holding a lock")
{
    Error ends = error_of(with_program("[\"lock M\"]"));
    CHECK(ends.where().line == 5);
    CHECK(mentions(ends, "task A ends holding M"));

    Error repeats = error_of(with_program("[\"lock M\", \"repeat\"]"));
    CHECK(repeats.where().line == 5);
    CHECK(mentions(repeats, "task A reaches repeat holding M"));

    Error early = error_of(with_program("[\"repeat\", \"yield\"]"));
    CHECK(mentions(early, "repeat must be the last operation"));
}

TEST_CASE("acquire context operations come in init, done, fini order")
{
    CHECK(mentions(error_of(with_program("[\"ww_acquire_fini\"]")), "ww_acquire_fini without ww_acquire_init"));
    CHECK(mentions(error_of(with_program("[\"ww_acquire_done\"]")), "ww_acquire_done without ww_acquire_init"));
    CHECK(mentions(error_of(with_program("[\"ww_acquire_init\", \"ww_acquire_init\"]")),
                   "ww_acquire_init inside an acquire context"));
    CHECK(mentions(error_of(with_program("[\"ww_acquire_init\"]")), "task A ends inside an acquire context"));
    CHECK_NOTHROW(parse_scenario(with_program("[\"ww_acquire_init\", \"lock M\", \"ww_acquire_done\", "
                                              "\"unlock M\", \"ww_acquire_fini\", \"repeat\"]"),
                                 "ok.toml"));
}

TEST_CASE("unknown features and baselines are rejected at their line")
{
    Error flag = error_of("cpus = 1\nfeatures = [\"+proxy_exec\",\n  \"+warp_drive\"]\n");
    CHECK(flag.where().line == 3);
    CHECK(mentions(flag, "unknown feature 'warp_drive'"));

    Error unsigned_flag = error_of(with_program("[\"yield\"]") + "[[expect]]\nfeatures = [\"proxy_exec\"]\n");
    CHECK(unsigned_flag.where().line == 9);
    CHECK(mentions(unsigned_flag, "needs a sign"));

    Error baseline = error_of("description = \"x\"\nbaseline = \"v5.0\"\ncpus = 1\n");
    CHECK(baseline.where().line == 2);
    CHECK(mentions(baseline, "unknown baseline 'v5.0'"));
}

TEST_CASE("a toml syntax error reports its line and column")
{
    Error e = error_of("cpus = 1\n[[task]]\nname = = \"A\"\n");
    CHECK(e.where().file == "bad.toml");
    CHECK(e.where().line == 3);
    CHECK(e.where().column > 0);
    CHECK(mentions(e, "invalid toml"));
}

TEST_CASE("cpus and at least one task are required; an expectation needs a property")
{
    CHECK(mentions(error_of("[[task]]\nname = \"A\"\nprogram = [\"yield\"]\n"), "cpus is required"));
    CHECK(mentions(error_of("cpus = 1\n"), "at least one [[task]]"));
    Error task = error_of("cpus = 1\n[[task]]\nname = \"A\"\n");
    CHECK(task.where().line == 2);
    CHECK(mentions(task, "program is required for task A"));
    CHECK(mentions(error_of(with_program("[]")), "program must have 1 to 32 operations"));

    Error expect = error_of(with_program("[\"yield\"]") + "[[expect]]\nholds = []\n");
    CHECK(expect.where().line == 8);
    CHECK(mentions(expect, "needs a property"));
}

TEST_CASE("too many tasks are rejected at the first one over the limit")
{
    std::string text = "cpus = 1\n";
    for (int i = 0; i <= max_tasks; i++)
        text += "[[task]]\nname = \"T" + std::to_string(i) + "\"\nprogram = [\"yield\"]\n";
    Error e = error_of(text);
    CHECK(e.where().line == 2 + 3 * max_tasks);
    CHECK(mentions(e, "at most 8 [[task]]"));
}

TEST_CASE("a missing file cannot be loaded")
{
    Error e = [] {
        try {
            load_scenario("/nonexistent/model.toml");
        } catch (const Error& e) {
            return e;
        }
        throw std::logic_error("loaded a missing file");
    }();
    CHECK(e.where().file == "/nonexistent/model.toml");
    CHECK(e.message() == "cannot read the scenario: No such file or directory");
}
