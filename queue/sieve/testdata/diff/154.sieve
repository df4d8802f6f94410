# 154: variable names are case-insensitive
require ["fileinto", "variables"];
set "Box" "Mixed";
fileinto "${BOX}";
