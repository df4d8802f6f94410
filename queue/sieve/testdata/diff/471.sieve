# 471: encoded-character with padding spaces
require ["fileinto", "encoded-character"];
fileinto "${hex: 41  42 }";
