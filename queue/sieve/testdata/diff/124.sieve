# 124: size :over its own size is false
require "fileinto";
if size :over 317 { fileinto "Over"; } else { fileinto "NotOver"; }
