"""Drawing on a canvas (the designer, the decision boundary): the shared tools and their actions
(:mod:`.tools`), the mouse gestures (:mod:`.gestures`), the tool bar and the class row."""
