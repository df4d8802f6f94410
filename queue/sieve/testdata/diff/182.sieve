# 182: numeric variable names in set are invalid
require ["fileinto", "variables"];
set "1" "x";
