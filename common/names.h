/*
 * names.h - what a service name is: 1 to 64 of A-Z a-z 0-9 _ . @ -
 * (SPEC "Service files"). Shared by the file loader, the expression parser
 * and svctl, so that all three agree.
 */
#ifndef SVD_NAMES_H
#define SVD_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define SERVICE_NAME_MAX 64

bool service_name_char(char c);

/* name[0..len) is a valid service name. */
bool service_name_valid(const char *name, size_t len);

#endif
