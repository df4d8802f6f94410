# 446: variable name with underscore and digits
require ["fileinto", "variables"];
set "my_var2" "ok";
fileinto "${my_var2}";
