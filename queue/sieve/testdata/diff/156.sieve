# 156: set :lower
require ["fileinto", "variables"];
set :lower "v" "MiXeD";
fileinto "${v}";
