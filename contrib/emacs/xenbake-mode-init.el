;;; xenbake-mode-init.el --- autoload xenbake-mode for *.xb files
;; SPDX-License-Identifier: MIT

;;; Commentary:
;; Loaded at start-up from site-start.d: xenbake-mode.el itself is read
;; only when a *.xb file is opened.

;;; Code:
(autoload 'xenbake-mode "xenbake-mode"
  "Major mode for xenbake configuration files." t)
(add-to-list 'auto-mode-alist '("\\.xb\\'" . xenbake-mode))

;;; xenbake-mode-init.el ends here
