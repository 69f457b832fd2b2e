#include "cli/command_options.h"

#include <ostream>

#include "events/timestamp.h"

namespace folio::cli {

namespace {

void print_usage(std::ostream& out, const CommandSyntax& syntax,
                 const po::options_description& options) {
  out << syntax.usage << "\n\n" << syntax.description << "\n\n" << options;
  if (!syntax.epilog.empty()) out << "\n" << syntax.epilog;
}

}  // namespace

std::optional<po::variables_map> parse_command_options(const CliContext& context,
                                                       const CommandSyntax& syntax,
                                                       po::options_description options,
                                                       const Positionals& positionals,
                                                       int& exit_code) {
  options.add_options()("help,h", "show this help");
  po::options_description all;
  all.add(options);
  po::positional_options_description positional;
  for (const auto& name : positionals.names) {
    all.add_options()(name.c_str(), po::value<std::string>());
    positional.add(name.c_str(), 1);
  }
  po::variables_map values;
  try {
    po::store(
        po::command_line_parser(context.args)
            .options(all)
            .positional(positional)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        values);
    if (values.count("help")) {
      print_usage(context.out, syntax, options);
      exit_code = kExitOk;
      return std::nullopt;
    }
    po::notify(values);
    for (std::size_t i = 0; i < positionals.names.size() && i < positionals.required; ++i) {
      const auto& name = positionals.names[i];
      if (!values.count(name)) throw po::error("missing <" + name + ">");
    }
  } catch (const po::error& e) {
    context.err << "folio " << syntax.name << ": " << e.what() << "\n\n";
    print_usage(context.err, syntax, options);
    exit_code = kExitUsage;
    return std::nullopt;
  }
  return values;
}

const events::EntitySpec* entity_named(const std::string& name) {
  if (const auto* spec = events::find_entity_by_type(name)) return spec;
  return events::find_entity_by_collection(name);
}

std::optional<std::string> time_option(const po::variables_map& values, const char* name) {
  if (!values.count(name)) return std::string();
  const auto t = events::parse_timestamp(values[name].as<std::string>());
  if (!t) return std::nullopt;
  return events::format_timestamp(*t);
}

}  // namespace folio::cli
