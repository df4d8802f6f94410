# 186: encoded-character hex
require ["fileinto", "encoded-character"];
fileinto "${hex:41 42 43}";
