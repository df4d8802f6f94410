# 427: message without a body: size
require "fileinto";
if size :under 100 { fileinto "Tiny"; }
