# 184: set overwrites
require ["fileinto", "variables"];
set "v" "a"; set "v" "b";
fileinto "${v}";
