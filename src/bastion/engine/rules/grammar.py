"""The rule-language grammar (Lark, LALR). Kept in a module so it ships with the code.

Reference for analysts: docs/guide/en/rules.md; semantics of the functions: rules/check.py.
"""

GRAMMAR = r"""
?start: expr

?expr: and_expr
     | expr "or" and_expr            -> or_
?and_expr: not_expr
     | and_expr "and" not_expr       -> and_
?not_expr: "not" not_expr            -> not_
     | comparison
?comparison: arith
     | arith COMP_OP arith           -> compare
     | arith "in" arith              -> in_
     | arith "not" "in" arith        -> not_in
?arith: term
     | arith PLUS term               -> arith
     | arith MINUS term              -> arith
?term: factor
     | term STAR factor              -> arith
?factor: MINUS factor                -> neg
     | atom
?atom: NUMBER                        -> number
     | DURATION                      -> duration
     | STRING                        -> string
     | "true"                        -> true
     | "false"                       -> false
     | NAME "(" [arglist] ")"        -> call
     | NAME                          -> name
     | "[" [arglist] "]"             -> list_lit
     | "(" expr ")"
arglist: expr ("," expr)*

COMP_OP: "==" | "!=" | "<=" | ">=" | "<" | ">"
PLUS: "+"
MINUS: "-"
STAR: "*"
DURATION.2: /\d+(?:_\d+)*[smhdw](?![A-Za-z0-9_])/
NUMBER: /\d+(?:_\d+)*(?:\.\d+)?/
STRING: /"(?:[^"\\\n]|\\.)*"/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
COMMENT: /#[^\n]*/

%import common.WS
%ignore WS
%ignore COMMENT
"""
