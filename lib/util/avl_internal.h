/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* avl_internal.h -- an intrusive AVL tree with parent pointers: the caller
 * embeds an avl_node_t in its own structure and orders nodes with a
 * comparison function; insert and remove cost O(log n), next O(1)
 * amortised. Not thread-safe: the caller locks. */
#ifndef UMF_AVL_INTERNAL_H
#define UMF_AVL_INTERNAL_H 1


typedef struct avl_node_t {
    struct avl_node_t *left;
    struct avl_node_t *right;
    struct avl_node_t *parent;
    int height;
} avl_node_t;

typedef struct avl_tree_t {
    avl_node_t *root;
} avl_tree_t;

/* Negative, zero or positive as a orders before, with or after b. */
typedef int (*avl_cmp_fn)(const avl_node_t *a, const avl_node_t *b);

/* Insert n (its links are overwritten); equal nodes go right. */
void avl_insert(avl_tree_t *t, avl_node_t *n, avl_cmp_fn cmp);

/* Unlink n from t (n must be in t). */
void avl_remove(avl_tree_t *t, avl_node_t *n);

/* The first node of the subtree at n in order (NULL for NULL). */
avl_node_t *avl_leftmost(avl_node_t *n);

/* The node after n in order, or NULL. */
avl_node_t *avl_next(avl_node_t *n);

#endif /* UMF_AVL_INTERNAL_H */
