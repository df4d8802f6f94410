# 178: backslash before $ goes in string unescaping; the reference still expands
require ["fileinto", "variables"];
set "v" "x";
fileinto "\${v}";
