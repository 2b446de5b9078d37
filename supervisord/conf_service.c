/*
 * conf_service.c - one service's files -> struct service_def.
 *
 * Owns the rules that span lines and files: continuation lines (joined per
 * key, see conf_keys.h), a later file overriding an earlier one (scalars
 * replace, lists append, an empty value clears or restores the default),
 * "exactly one of exec and script", and the checks that need the whole
 * definition. It does not find or read files (conf_dirs.c) and does not
 * know what a single key means (conf_keys.c).
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_keys.h"
#include "inireader.h"
#include "units.h"

static const char *const sections[] = {"service", "log", NULL};

/* Where a key was last set: which file (index into files) and line. */
struct origin {
	size_t file;
	int line; /* 0: never set */
};

struct parse {
	struct service_def *def;
	struct diag_list *diags;
	const struct conf_file *files;
	size_t file;             /* index of the file being read */
	struct inireader reader;
	struct origin *origins;  /* per key, across all files */

	/* The key of the last key line, for its continuation lines. */
	char *current_name;
	enum conf_section current_section;
	int current_line;
	const struct conf_key *current; /* NULL if that key is unknown */

	/* A scalar value still collecting continuation lines. */
	bool pending;
	char *value;
	size_t value_len;
	size_t value_cap;
	int value_line;

	bool out_of_memory;
};

static const char *path(const struct parse *p)
{
	return p->files[p->file].path;
}

static void set_value(struct parse *p, const char *text)
{
	p->value_len = 0;
	if (p->value)
		p->value[0] = '\0';
	size_t len = strlen(text);
	if (len + 1 > p->value_cap) {
		char *grown = realloc(p->value, len + 1);
		if (!grown) {
			p->out_of_memory = true;
			return;
		}
		p->value = grown;
		p->value_cap = len + 1;
	}
	memcpy(p->value, text, len + 1);
	p->value_len = len;
}

static void append_value(struct parse *p, char separator, const char *text)
{
	size_t len = strlen(text);
	size_t need = p->value_len + 1 + len + 1;

	if (need > p->value_cap) {
		size_t cap = p->value_cap * 2 > need ? p->value_cap * 2 : need;
		char *grown = realloc(p->value, cap);
		if (!grown) {
			p->out_of_memory = true;
			return;
		}
		p->value = grown;
		p->value_cap = cap;
	}
	if (p->value_len)
		p->value[p->value_len++] = separator;
	memcpy(p->value + p->value_len, text, len + 1);
	p->value_len += len;
}

/* Enforces "exactly one of exec and script" as files are read: both in one
 * file is an error; a later file's exec replaces an earlier file's script
 * (and the other way round), which is what a drop-in means. */
static bool exclusive_ok(struct parse *p, const struct conf_key *k, int line)
{
	const char *other_name;
	const struct conf_key *other;
	struct origin *o;

	if (strcmp(k->name, "exec") == 0)
		other_name = "script";
	else if (strcmp(k->name, "script") == 0)
		other_name = "exec";
	else
		return true;
	other = conf_key_find(CONF_SECTION_SERVICE, other_name);
	o = &p->origins[conf_key_index(other)];
	if (o->line == 0)
		return true;
	if (o->file == p->file) {
		diag_add(p->diags, DIAG_ERROR, path(p), line,
			 "%s: %s is already set at line %d: a service runs exactly "
			 "one of exec and script", k->name, other_name, o->line);
		return false;
	}
	other->reset(p->def);
	o->line = 0;
	return true;
}

/* Applies one complete value (a scalar's, or one list item) at line. */
static void apply(struct parse *p, const struct conf_key *k, const char *value,
		  int line)
{
	struct conf_origin origin = {path(p), line};
	char why[512];

	if (*value == '\0') {
		if (k->reset(p->def) < 0)
			p->out_of_memory = true;
		p->origins[conf_key_index(k)] = (struct origin){p->file, 0};
		return;
	}
	if (!exclusive_ok(p, k, line))
		return;
	if (k->apply(p->def, value, &origin, why, sizeof why) < 0) {
		diag_add(p->diags, DIAG_ERROR, path(p), line, "%s: %s", k->name, why);
		return;
	}
	p->origins[conf_key_index(k)] = (struct origin){p->file, line};
}

static void flush(struct parse *p)
{
	if (!p->pending)
		return;
	p->pending = false;
	if (p->out_of_memory)
		return;
	apply(p, p->current, p->value ? p->value : "", p->value_line);
}

static void unknown_key(struct parse *p, enum conf_section section,
			const char *name, int line)
{
	int other = conf_key_other_section(section, name);
	const char *suggestion = conf_key_suggest(section, name);

	if (other >= 0)
		diag_add(p->diags, DIAG_ERROR, path(p), line,
			 "%.64s: this key belongs in the [%s] section, not [%s]", name,
			 conf_section_name((enum conf_section)other),
			 conf_section_name(section));
	else if (suggestion)
		diag_add(p->diags, DIAG_ERROR, path(p), line,
			 "%.64s: unknown key in [%s]; did you mean \"%s\"?", name,
			 conf_section_name(section), suggestion);
	else
		diag_add(p->diags, DIAG_ERROR, path(p), line,
			 "%.64s: unknown key in [%s] (see svd.conf(5))", name,
			 conf_section_name(section));
}

static void new_key(struct parse *p, enum conf_section section,
		    const char *name, const char *value)
{
	const struct conf_key *k = conf_key_find(section, name);
	int line = p->reader.line;
	char *copy = strdup(name);

	if (!copy) {
		p->out_of_memory = true;
		return;
	}
	free(p->current_name);
	p->current_name = copy;
	p->current_section = section;
	p->current_line = line;
	p->current = k;
	if (!k) {
		unknown_key(p, section, name, line);
		return;
	}
	struct origin *o = &p->origins[conf_key_index(k)];
	if (!k->list && *value && o->line && o->file == p->file)
		diag_add(p->diags, DIAG_WARNING, path(p), line,
			 "%s: set again (first at line %d); the later value wins",
			 k->name, o->line);
	if (k->list) {
		apply(p, k, value, line);
		return;
	}
	p->pending = true;
	p->value_line = line;
	set_value(p, value);
}

/* inih's handler: called once per key line and once per continuation line
 * (with the same name), right after inireader_read() returned that line. */
static int on_value(void *user, const char *section_name, const char *raw_name,
		    const char *raw)
{
	struct parse *p = user;
	enum conf_section section;
	char *value, *name;

	if (!p->reader.known_section || p->out_of_memory)
		return 1;
	(void)section_name; /* the reader's canonical name, see inireader.h */
	section = strcmp(p->reader.section, "log") == 0 ? CONF_SECTION_LOG
						       : CONF_SECTION_SERVICE;
	value = strdup(raw);
	name = strdup(raw_name);
	if (!value || !name) {
		free(value);
		free(name);
		p->out_of_memory = true;
		return 1;
	}
	inireader_restore(value);
	inireader_restore(name);
	/* A continuation line: indented, after a key line of the same name
	 * with no [section] header in between (inih would call an indented
	 * key line after a header a new key of the same name). */
	if (p->reader.indented && p->current_name && section == p->current_section &&
	    p->reader.section_line < p->current_line &&
	    strcmp(name, p->current_name) == 0) {
		if (!p->current)
			; /* continuation of an unknown key: already reported */
		else if (p->current->join == CONF_JOIN_ITEMS)
			apply(p, p->current, value, p->reader.line);
		else
			append_value(p, p->current->join == CONF_JOIN_NEWLINE ? '\n' : ' ',
				     value);
	} else {
		flush(p);
		new_key(p, section, name, value);
	}
	free(value);
	free(name);
	return 1;
}

static void parse_file(struct parse *p)
{
	const struct conf_file *f = &p->files[p->file];

	inireader_init(&p->reader, f->path, f->text, f->len, sections, p->diags);
	free(p->current_name);
	p->current_name = NULL;
	p->current = NULL;
	/* inih's own verdict (first bad line) is ignored: the reader has already
	 * reported every line it refused, and the handler every bad value. Only
	 * its allocation failure (-2) matters. */
	if (ini_parse_stream(inireader_read, &p->reader, on_value, p) == -2)
		p->out_of_memory = true;
	flush(p);
	if (string_list_add(&p->def->sources, f->path) < 0)
		p->out_of_memory = true;
}

static const char *origin_path(const struct parse *p, const char *key)
{
	const struct conf_key *k = conf_key_find(CONF_SECTION_SERVICE, key);

	return p->files[p->origins[conf_key_index(k)].file].path;
}

static int origin_line(const struct parse *p, const char *key)
{
	const struct conf_key *k = conf_key_find(CONF_SECTION_SERVICE, key);

	return p->origins[conf_key_index(k)].line;
}

/* Rules that need the whole definition, checked after the last drop-in. */
static void check_whole(struct parse *p)
{
	const struct service_def *def = p->def;

	/* After an error (a refused exec line, say) this would only echo it. */
	if (!def->exec && !def->script && p->diags->errors == 0)
		diag_add(p->diags, DIAG_ERROR, p->files[0].path, 0,
			 "service %s has neither exec nor script: one of them says "
			 "what to run", def->name);
	if (def->respawn_delay_max_ms &&
	    def->respawn_delay_max_ms < def->respawn_delay_ms) {
		char max[32], delay[32];
		units_format_duration(def->respawn_delay_max_ms, max, sizeof max);
		units_format_duration(def->respawn_delay_ms, delay, sizeof delay);
		diag_add(p->diags, DIAG_ERROR, origin_path(p, "respawn-delay-max"),
			 origin_line(p, "respawn-delay-max"),
			 "respawn-delay-max: %s is shorter than respawn-delay (%s)",
			 max, delay);
	}
	if (def->has_user && !def->has_user_gid && !def->has_group)
		diag_add(p->diags, DIAG_ERROR, origin_path(p, "setuid"),
			 origin_line(p, "setuid"),
			 "setuid: uid %u has no passwd entry, so its group is "
			 "unknown: set setgid as well", (unsigned)def->uid);
}

struct service_def *conf_parse_service(const char *name,
				       const struct conf_file *files,
				       size_t nfiles, struct diag_list *diags)
{
	struct diag_list local;
	struct parse p = {.diags = &local, .files = files};
	bool failed;

	/* Problems are collected apart and sorted by line before they join
	 * diags: a value is checked only once its continuation lines are
	 * read, after the reader may have refused a later line. */
	diag_init(&local);
	p.def = service_def_new(name);
	p.origins = calloc(conf_key_count(), sizeof *p.origins);
	if (p.def && p.origins) {
		for (p.file = 0; p.file < nfiles && !p.out_of_memory; p.file++)
			parse_file(&p);
		if (!p.out_of_memory)
			check_whole(&p);
	} else {
		p.out_of_memory = true;
	}
	free(p.origins);
	free(p.value);
	free(p.current_name);
	diag_sort_lines(&local);
	failed = local.errors != 0;
	diag_move(diags, &local);
	if (p.out_of_memory) {
		service_def_free(p.def);
		diag_add(diags, DIAG_ERROR, nfiles ? files[0].path : NULL, 0,
			 "out of memory while reading service %s", name);
		errno = ENOMEM;
		return NULL;
	}
	if (failed) {
		service_def_free(p.def);
		errno = EINVAL;
		return NULL;
	}
	return p.def;
}
