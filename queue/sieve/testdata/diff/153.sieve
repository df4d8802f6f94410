# 153: set and use a variable
require ["fileinto", "variables"];
set "box" "Projects";
fileinto "${box}";
