# 185: variable reference spanning concatenation
require ["fileinto", "variables"];
set "a" "x"; set "ab" "wrong";
fileinto "${a}b";
