# 168: match variables keep the last successful match
require ["fileinto", "variables"];
if header :matches "subject" "*Tuesday" { set "a" "${1}"; }
if header :matches "subject" "nomatch*" { set "b" "x"; }
fileinto "${a}|${1}";
