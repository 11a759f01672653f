/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* avl.c -- intrusive AVL tree with parent pointers (see avl_internal.h). */
#include <stddef.h>

#include "util/avl_internal.h"

static int avl_height(const avl_node_t *n) { return n ? n->height : 0; }

static void avl_update(avl_node_t *n) {
    int hl = avl_height(n->left);
    int hr = avl_height(n->right);
    n->height = 1 + (hl > hr ? hl : hr);
}

static void avl_replace_child(avl_tree_t *t, avl_node_t *parent,
                              avl_node_t *old, avl_node_t *new_node) {
    if (!parent) {
        t->root = new_node;
    } else if (parent->left == old) {
        parent->left = new_node;
    } else {
        parent->right = new_node;
    }
}

static avl_node_t *avl_rotate_left(avl_tree_t *t, avl_node_t *x) {
    avl_node_t *y = x->right;
    x->right = y->left;
    if (y->left) {
        y->left->parent = x;
    }
    y->parent = x->parent;
    avl_replace_child(t, x->parent, x, y);
    y->left = x;
    x->parent = y;
    avl_update(x);
    avl_update(y);
    return y;
}

static avl_node_t *avl_rotate_right(avl_tree_t *t, avl_node_t *x) {
    avl_node_t *y = x->left;
    x->left = y->right;
    if (y->right) {
        y->right->parent = x;
    }
    y->parent = x->parent;
    avl_replace_child(t, x->parent, x, y);
    y->right = x;
    x->parent = y;
    avl_update(x);
    avl_update(y);
    return y;
}

/* Restore heights and balance from n up to the root. */
static void avl_rebalance(avl_tree_t *t, avl_node_t *n) {
    while (n) {
        avl_update(n);
        int bal = avl_height(n->left) - avl_height(n->right);
        if (bal > 1) {
            if (avl_height(n->left->left) < avl_height(n->left->right)) {
                avl_rotate_left(t, n->left);
            }
            n = avl_rotate_right(t, n);
        } else if (bal < -1) {
            if (avl_height(n->right->right) < avl_height(n->right->left)) {
                avl_rotate_right(t, n->right);
            }
            n = avl_rotate_left(t, n);
        }
        n = n->parent;
    }
}

void avl_insert(avl_tree_t *t, avl_node_t *n, avl_cmp_fn cmp) {
    avl_node_t *parent = NULL;
    avl_node_t **link = &t->root;
    while (*link) {
        parent = *link;
        link = cmp(n, parent) < 0 ? &parent->left : &parent->right;
    }
    n->left = n->right = NULL;
    n->parent = parent;
    n->height = 1;
    *link = n;
    avl_rebalance(t, parent);
}

avl_node_t *avl_leftmost(avl_node_t *n) {
    while (n && n->left) {
        n = n->left;
    }
    return n;
}

avl_node_t *avl_next(avl_node_t *n) {
    if (n->right) {
        return avl_leftmost(n->right);
    }
    while (n->parent && n->parent->right == n) {
        n = n->parent;
    }
    return n->parent;
}

void avl_remove(avl_tree_t *t, avl_node_t *n) {
    avl_node_t *start;
    if (n->left && n->right) {
        /* put the in-order successor s in n's place */
        avl_node_t *s = avl_leftmost(n->right);
        if (s->parent != n) {
            avl_node_t *sp = s->parent;
            sp->left = s->right;
            if (s->right) {
                s->right->parent = sp;
            }
            s->right = n->right;
            n->right->parent = s;
            start = sp;
        } else {
            start = s;
        }
        s->left = n->left;
        n->left->parent = s;
        s->parent = n->parent;
        avl_replace_child(t, n->parent, n, s);
        s->height = n->height;
    } else {
        avl_node_t *child = n->left ? n->left : n->right;
        if (child) {
            child->parent = n->parent;
        }
        avl_replace_child(t, n->parent, n, child);
        start = n->parent;
    }
    n->left = n->right = n->parent = NULL;
    avl_rebalance(t, start);
}
