# 179: nested reference is not expanded twice
require ["fileinto", "variables"];
set "a" "${b}"; set "b" "B";
fileinto "[${a}]";
