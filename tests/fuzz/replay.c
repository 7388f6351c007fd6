/*
 * The plain fuzzing driver: replays inputs through a target's LLVMFuzzerTestOneInput
 * without libFuzzer, so the committed corpus runs as an ordinary test in every build
 * (sanitizers and Valgrind included).
 *
 *   fuzz_map DIR_OR_FILE...
 *
 * Every regular file of each directory (sorted by name, not recursive) and every file named
 * directly is one TAP test point, "ok K - path". A target that finds a mismatch aborts, so
 * the process dies after printing the failing operation; the line "# replaying path" on
 * stderr just before names the input. Files that cannot be read are "not ok".
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* UBSan would otherwise report and carry on: make it stop the replay. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}

typedef struct path_list {
    char **paths;
    size_t count, room;
} path_list;

static void list_add(path_list *list, const char *path)
{
    if (list->count == list->room) {
        list->room = list->room ? 2 * list->room : 64;
        list->paths = realloc(list->paths, list->room * sizeof *list->paths);
        if (!list->paths)
            abort();
    }
    list->paths[list->count] = strdup(path);
    if (!list->paths[list->count++])
        abort();
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the regular files of directory `dir`, sorted by name. */
static int add_directory(path_list *list, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    size_t first = list->count;
    for (struct dirent *e; (e = readdir(d));) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            list_add(list, path);
    }
    closedir(d);
    qsort(list->paths + first, list->count - first, sizeof *list->paths, compare_paths);
    return 0;
}

/* Reads a whole file; NULL on failure. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *data = NULL;
    size_t used = 0, room = 0, got;
    do {
        if (used == room) {
            room = room ? 2 * room : 4096;
            uint8_t *bigger = realloc(data, room);
            if (!bigger)
                abort();
            data = bigger;
        }
        got = fread(data + used, 1, room - used, f);
        used += got;
    } while (got > 0);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        return NULL;
    }
    *size = used;
    return data;
}

static int replay(const char *path, size_t number)
{
    size_t size = 0;
    uint8_t *data = read_file(path, &size);
    if (!data) {
        printf("not ok %zu - %s (%s)\n", number, path, strerror(errno));
        return 1;
    }
    fprintf(stderr, "# replaying %s\n", path);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    printf("ok %zu - %s\n", number, path);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    path_list list = {0};
    struct stat st;
    for (int i = 1; i < argc; i++) {
        bool is_dir = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode);
        if (is_dir && add_directory(&list, argv[i]) != 0) {
            printf("Bail out! cannot read %s\n", argv[i]);
            return 1;
        }
        if (!is_dir)
            list_add(&list, argv[i]); /* unreadable ones are reported as "not ok" */
    }
    if (list.count == 0) { /* a lost corpus must fail, not skip (TAP "1..0") */
        printf("Bail out! no inputs\n");
        return 1;
    }
    printf("1..%zu\n", list.count);
    int failures = 0;
    for (size_t i = 0; i < list.count; i++) {
        failures += replay(list.paths[i], i + 1);
        free(list.paths[i]);
    }
    free(list.paths);
    return failures ? 1 : 0;
}
